"""The document base: Chinese text embedded and read back, the title set."""

from core.pdf import Document
from tests.utils.pdf import pdf_text


def test_a_document_carries_chinese_text_that_reads_back():
    document = Document("业主大会表决结果公告")
    document.add_page()
    document.multi_cell(0, 8, "业主大会表决结果公告\n专有部分总面积：6,137.20 ㎡ · ¥1,288.80")
    with document.table() as table:
        for cells in (("房号", "业主"), ("1栋 1单元 101", "徐丽")):
            row = table.row()
            for cell in cells:
                row.cell(cell)
    data = document.content()
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert "业主大会表决结果公告" in text and "6,137.20" in text and "徐丽" in text
