"""What the classifier reads: Simplified Chinese, ASCII widths, no salutation or closing, and of a
long letter its request."""

from __future__ import annotations

from nlu.prepare import MAX_CHARS, for_intent, reading, salient, simplified


def test_traditional_becomes_simplified_with_the_same_offsets() -> None:
    text = "請問我們公司出口貨物的退稅要怎麼辦理？"
    assert simplified(text) == "请问我们公司出口货物的退税要怎么办理?"
    assert len(simplified(text)) == len(text)
    assert simplified("廈門鑫源精密機械有限公司") == "厦门鑫源精密机械有限公司"


def test_full_width_letters_digits_and_punctuation_fold() -> None:
    assert simplified("ＡＢＣ１２３，贷款！") == "ABC123,贷款!"
    assert simplified("a" * (MAX_CHARS + 10)) == "a" * MAX_CHARS


def test_salutations_and_closings_are_stripped_when_a_matter_remains() -> None:
    assert for_intent("尊敬的领导：您好！我们厂停电了，请帮忙协调，谢谢！") == "我们厂停电了，请帮忙协调"
    assert for_intent("王局长您好！厂里停电了，麻烦协调") == "厂里停电了，麻烦协调"
    assert for_intent("Hi team, our power is out since noon. Thanks, Bob") == "our power is out since noon"
    # alone they are the message: a greeting, thanks
    assert for_intent("你好") == "你好"
    assert for_intent("谢谢！") == "谢谢！"
    assert for_intent("问题解决了，谢谢") == "问题解决了，谢谢"
    # words before a title are a name or an office, not a sentence
    assert for_intent("我要找我们企业的挂钩干部，他电话多少？").startswith("我要找")
    assert for_intent("we need your best help now") == "we need your best help now"


def test_a_long_letter_is_read_by_its_request() -> None:
    background = "我们公司成立于二〇〇八年，这些年城市建设的加快，我们搬过两次厂。" * 12
    letter = (
        "尊敬的领导：您好！我是一家五金厂的负责人。"
        + background
        + "去年承诺的技改补贴到现在还没有兑现。恳请领导帮忙查一下补贴卡在哪个环节。谢谢！"
    )
    read = reading(simplified(letter))
    assert len(read) < len(letter) * 2 / 3
    assert read.startswith("我是一家五金厂的负责人。")
    assert "去年承诺的技改补贴到现在还没有兑现。恳请领导帮忙查一下补贴卡在哪个环节" in read
    assert "谢谢" not in read


def test_short_messages_are_read_whole() -> None:
    assert salient("银行抽贷，急") == "银行抽贷，急"
    text = "Our cold storage needs a transformer upgrade. The power bureau has not replied in two months."
    assert salient(text) == text
