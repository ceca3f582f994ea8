"""WeCom's callback crypto (the published WXBizMsgCrypt algorithm) on the `cryptography` package.

A callback carries `Encrypt`: the base64 of AES-256-CBC over

    16 random bytes | message length (4 bytes, big-endian) | message (UTF-8) | receive id

padded PKCS#7-style to a multiple of 32 bytes (WeCom's block, not AES's 16), with the key the
admin console's 43-character EncodingAESKey plus "=" base64-decoded, and the IV the key's first 16
bytes. Every request is signed: SHA1 over the sorted strings token, timestamp, nonce and Encrypt.
For an enterprise's own app the receive id is the corp id, which is checked on every message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32
_PREFIX = 16  # random bytes that make equal messages encrypt differently
_LENGTH = struct.Struct(">I")


class CryptoError(Exception):
    """A message that cannot be WeCom's: bad base64, bad padding, bad length or bad UTF-8."""


class ReceiveIdMismatch(CryptoError):
    """The message decrypts, but it was meant for another corp (or another app's key was reused)."""


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key behind the console's 43-character EncodingAESKey."""
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except binascii.Error:
        raise ValueError("EncodingAESKey must be 43 base64 characters (letters and digits)") from None
    if len(key) != 32:
        raise ValueError(f"EncodingAESKey decodes to {len(key)} bytes, not 32: copy all 43 characters")
    return key


def signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    return hashlib.sha1("".join(sorted((token, timestamp, nonce, encrypt))).encode()).hexdigest()


def pad(data: bytes) -> bytes:
    """Always adds 1-32 bytes, each equal to their count (a full block when already aligned)."""
    count = BLOCK - len(data) % BLOCK
    return data + bytes([count]) * count


def unpad(data: bytes) -> bytes:
    if not data or len(data) % BLOCK:
        raise CryptoError(f"decrypted length {len(data)} is not a multiple of {BLOCK}")
    count = data[-1]
    if not 1 <= count <= BLOCK or data[-count:] != bytes([count]) * count:
        raise CryptoError("bad padding")
    return data[:-count]


class WecomCrypto:
    def __init__(self, token: str, encoding_aes_key: str, receive_id: str) -> None:
        self.token = token
        self.receive_id = receive_id
        self._key = aes_key(encoding_aes_key)

    def sign(self, timestamp: str, nonce: str, encrypt: str) -> str:
        return signature(self.token, timestamp, nonce, encrypt)

    def verify(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> bool:
        expected = self.sign(timestamp, nonce, encrypt)
        return hmac.compare_digest(expected.encode(), msg_signature.lower().encode("utf-8", "replace"))

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16]))

    def encrypt(self, message: str, random_prefix: bytes | None = None) -> str:
        prefix = random_prefix if random_prefix is not None else os.urandom(_PREFIX)
        if len(prefix) != _PREFIX:
            raise ValueError(f"the random prefix must be {_PREFIX} bytes")
        body = message.encode("utf-8")
        plain = pad(prefix + _LENGTH.pack(len(body)) + body + self.receive_id.encode("utf-8"))
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")

    def decrypt(self, encrypt: str) -> str:
        """The message, after checking padding, length and receive id (CryptoError otherwise)."""
        try:
            data = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError):
            raise CryptoError("Encrypt is not base64") from None
        if not data or len(data) % 16:
            raise CryptoError(f"ciphertext length {len(data)} is not a whole number of AES blocks")
        decryptor = self._cipher().decryptor()
        content = unpad(decryptor.update(data) + decryptor.finalize())
        if len(content) < _PREFIX + _LENGTH.size:
            raise CryptoError("too short to hold a message")
        (length,) = _LENGTH.unpack_from(content, _PREFIX)
        start = _PREFIX + _LENGTH.size
        if start + length > len(content):
            raise CryptoError("the length field runs past the end")
        try:
            message = content[start : start + length].decode("utf-8")
            receive_id = content[start + length :].decode("utf-8")
        except UnicodeDecodeError:
            raise CryptoError("the message is not UTF-8") from None
        if not hmac.compare_digest(receive_id.encode(), self.receive_id.encode()):
            raise ReceiveIdMismatch(f"receive id {receive_id!r} is not ours")
        return message
