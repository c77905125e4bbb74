"""Telegram's HTML and MarkdownV2 rules, as the emulator applies them."""

from __future__ import annotations

import pytest

from emulator.formatting import ParseError, format_text


@pytest.mark.parametrize(
    ("source", "text", "entities"),
    [
        ("<b>粗</b>体", "粗体", [("bold", 0, 1)]),
        (
            "<strong>a</strong><em>b</em><ins>c</ins><del>d</del>",
            "abcd",
            [("bold", 0, 1), ("italic", 1, 1), ("underline", 2, 1), ("strikethrough", 3, 1)],
        ),
        ('<a href="https://x.cn/?a=1&amp;b=2">link</a>', "link", [("text_link", 0, 4)]),
        (
            '<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>',
            "st",
            [("spoiler", 0, 1), ("spoiler", 1, 1)],
        ),
        ('<pre><code class="language-python">x = 1</code></pre>', "x = 1", [("pre", 0, 5)]),
        ("<blockquote expandable>引用</blockquote>", "引用", [("expandable_blockquote", 0, 2)]),
        ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍", [("custom_emoji", 0, 2)]),
        ("&lt;b&gt; &#20320; &#x597D; &quot;", '<b> 你 好 "', []),
        ("<b>😀</b>x", "😀x", [("bold", 0, 2)]),  # offsets count UTF-16 code units
        ("\n  <i>trimmed</i>  \n", "trimmed", [("italic", 0, 7)]),
        ("a > b", "a > b", []),
        # As the real server: a '&' that starts no reference it knows is text, not an error;
        # &apos; and &nbsp; are not references it knows; the ';' is optional.
        ("fish & chips", "fish & chips", []),
        ("it&apos;s&nbsp;ok", "it&apos;s&nbsp;ok", []),
        ("&amp &lt;b&gt &#39; &#x27; &#X27;", "& <b> ' ' &#X27;", []),
        ("&#0; &#1114111; &#000000065;", "&#0; &#1114111; &#000000065;", []),
    ],
)
def test_valid_html_becomes_text_and_entities(source, text, entities):
    formatted = format_text(source, "HTML")
    assert formatted.text == text
    assert [(e["type"], e["offset"], e["length"]) for e in formatted.entities] == entities


def test_a_pre_block_keeps_its_language():
    formatted = format_text('<pre><code class="language-python">x</code></pre>', "HTML")
    assert formatted.entities[0]["language"] == "python"


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("<b>unclosed", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("<br/>", 'Unsupported start tag "br/"'),
        ("x</b>", "Unexpected end tag"),
        ("1 < 2", 'Unsupported start tag ""'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ("<b", "Unclosed start tag"),
    ],
)
def test_invalid_html_is_refused(source, error):
    with pytest.raises(ParseError, match=f"^{_escape(error)}"):
        format_text(source, "HTML")


def _escape(text: str) -> str:
    import re

    return re.escape(text)


@pytest.mark.parametrize(
    ("source", "text", "kinds"),
    [
        (
            "*粗* _斜_ __下__ ~删~ ||隐|| `码`",
            "粗 斜 下 删 隐 码",
            ["bold", "italic", "underline", "strikethrough", "spoiler", "code"],
        ),
        ("[链接](https://x.cn/a\\)b)", "链接", ["text_link"]),
        ("1\\.5 \\- 2\\!", "1.5 - 2!", []),
        ("```python\nprint(1)\n```", "print(1)", ["pre"]),
        ("`a.b-c`", "a.b-c", ["code"]),
    ],
)
def test_markdown_v2(source, text, kinds):
    formatted = format_text(source, "MarkdownV2")
    assert formatted.text == text and [e["type"] for e in formatted.entities] == kinds


@pytest.mark.parametrize("source", ["1.5", "a-b", "*open", "(x)", "a_b", "[x](y"])
def test_markdown_v2_refuses_unescaped_reserved_characters(source):
    with pytest.raises(ParseError):
        format_text(source, "MarkdownV2")


def test_plain_text_keeps_given_entities():
    entities = [{"type": "bold", "offset": 0, "length": 2}]
    assert format_text("hi", None, entities).entities == entities
