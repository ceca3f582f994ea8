"""WeCom's callback crypto, checked against wechatpy's independent WeChatCrypto in both directions
and against the test vector WeCom publishes with its algorithm."""

from __future__ import annotations

import base64
import os

import pytest
import xmltodict
from wechatpy.enterprise.crypto import PrpCrypto, WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException

from bot.channels.wecom.crypto import (
    BLOCK,
    CryptoError,
    ReceiveIdMismatch,
    WecomCrypto,
    aes_key,
    pad,
    unpad,
)

TOKEN = "Xiaoer2026"
AES_KEY = base64.b64encode(bytes(range(7, 39))).decode().rstrip("=")
CORP = "ww5"  # short, so that small messages reach the first padding boundaries
CHINESE = "您好，我们公司急需一笔200万的流动资金贷款，下月发工资都困难了——厦门鑫源精密机械有限公司"
PREFIX = 16 + 4  # random bytes and the length field before the message


def ours(corp: str = CORP) -> WecomCrypto:
    return WecomCrypto(TOKEN, AES_KEY, corp)


def theirs(corp: str = CORP) -> WeChatCrypto:
    return WeChatCrypto(TOKEN, AES_KEY, corp)


def message_of(total: int, chinese: bool) -> str:
    """A message whose unpadded plaintext (prefix + length + message + corp id) is `total` bytes."""
    size = total - PREFIX - len(CORP)
    if not chinese:
        return "x" * size
    return "汉" * (size // 3) + "a" * (size % 3)  # three bytes a character in UTF-8


BOUNDARIES = [31, 32, 33, 63, 64, 65, 95, 96, 97]


@pytest.mark.parametrize("chinese", [False, True])
@pytest.mark.parametrize("total", BOUNDARIES)
def test_ours_encrypts_what_wechatpy_decrypts(total: int, chinese: bool) -> None:
    message = message_of(total, chinese)
    encrypt = ours().encrypt(message)
    padded = len(base64.b64decode(encrypt))
    assert padded % BLOCK == 0
    assert padded - total in range(1, BLOCK + 1)  # always padded, a whole block when aligned
    signature = ours().sign("1700000000", "n0nce", encrypt)
    body = {"Encrypt": encrypt, "ToUserName": CORP}
    assert theirs().decrypt_message(body, signature, "1700000000", "n0nce") == message


@pytest.mark.parametrize("chinese", [False, True])
@pytest.mark.parametrize("total", BOUNDARIES)
def test_wechatpy_encrypts_what_ours_decrypts(total: int, chinese: bool) -> None:
    message = message_of(total, chinese)
    reply = xmltodict.parse(theirs().encrypt_message(message, "n0nce", "1700000000"))["xml"]
    assert ours().verify(reply["MsgSignature"], reply["TimeStamp"], reply["Nonce"], reply["Encrypt"])
    assert ours().decrypt(reply["Encrypt"]) == message


def test_the_same_random_bytes_give_the_same_ciphertext_as_wechatpy(monkeypatch: pytest.MonkeyPatch) -> None:
    prefix = "0123456789abcdef"
    monkeypatch.setattr(PrpCrypto, "get_random_string", lambda self: prefix)
    for message in ("", "a", CHINESE, CHINESE * 40):
        expected = theirs().encrypt_message(message, "n", "1")
        assert ours().encrypt(message, prefix.encode()) == xmltodict.parse(expected)["xml"]["Encrypt"]


def test_url_verification_both_ways() -> None:
    echo = ours().encrypt("1616140317555161061")
    signature = ours().sign("1409659589", "263014780", echo)
    assert theirs().check_signature(signature, "1409659589", "263014780", echo) == "1616140317555161061"
    with pytest.raises(InvalidSignatureException):
        theirs().check_signature("0" * 40, "1409659589", "263014780", echo)


def test_the_published_test_vector() -> None:
    """The URL-verification example in WeCom's documentation of the algorithm."""
    crypto = WecomCrypto("QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7")
    echo = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
    assert crypto.verify("5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "1409659589", "263014780", echo)
    assert not crypto.verify("5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd4", "1409659589", "263014780", echo)
    assert crypto.decrypt(echo) == "1616140317555161061"


def test_a_message_for_another_corp_is_refused() -> None:
    encrypt = theirs("ww-another-corp").encrypt_message(CHINESE, "n", "1")
    with pytest.raises(ReceiveIdMismatch):
        ours().decrypt(xmltodict.parse(encrypt)["xml"]["Encrypt"])


def test_a_message_under_another_key_is_refused() -> None:
    other = WecomCrypto(TOKEN, base64.b64encode(os.urandom(32)).decode().rstrip("="), CORP)
    with pytest.raises(CryptoError):  # bad padding, or (rarely) garbage that fails a later check
        ours().decrypt(other.encrypt(CHINESE * 3))


@pytest.mark.parametrize(
    "encrypt", ["not base64!", base64.b64encode(b"short").decode(), base64.b64encode(b"x" * 48).decode(), ""]
)
def test_garbage_is_a_crypto_error(encrypt: str) -> None:
    with pytest.raises(CryptoError):
        ours().decrypt(encrypt)


def test_padding_is_checked_strictly() -> None:
    assert unpad(pad(b"abc")) == b"abc"
    assert pad(b"x" * 32)[-32:] == bytes([32]) * 32
    with pytest.raises(CryptoError):
        unpad(b"x" * 31 + bytes([33]))
    with pytest.raises(CryptoError):
        unpad(b"x" * 30 + bytes([1, 2]))
    with pytest.raises(CryptoError):
        unpad(b"x" * 31 + bytes([0]))


def test_a_bad_encoding_aes_key_says_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="43"):
        aes_key("not*base64")
    with pytest.raises(ValueError, match="32"):
        aes_key(AES_KEY[:40])
