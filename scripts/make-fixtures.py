#!/usr/bin/env python3
"""Writes the import test fixtures under tests/fixtures/import/ with each format's own library.

Run through `bash scripts/make-fixtures.sh`, which installs the pinned libraries into a venv.
Everything is generated from this file: no hand-made binaries. After writing, every file is
read back with a library of its format (see check()), and the distinctive words of each
document are checked to occur in that document's text only (see check_words()).

Deterministic as far as the libraries allow: fixed core-property dates, a fixed random seed,
fixed timestamps in every zip (the Office and OpenDocument packages are zips; their entries are
rewritten with one fixed time after the library saved them), sorted entries in the zips written
here, reportlab's invariant mode, and msoffcrypto's random salts and key drawn from a seeded
generator and the OLE container's times fixed. Running the script twice gives byte-identical
files.
"""

import datetime
import io
import json
import math
import random
import re
import shutil
import struct
import zipfile
import zlib
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "import"
SUBDIRS = ["documents", "hostile", "markdown", "accounts"]

# One moment for every date the libraries write (core properties, zip entry times).
FIXED = datetime.datetime(2023, 5, 1, 10, 20, 30)
ZIP_TIME = (2023, 5, 1, 10, 20, 30)

# What each file's text holds, as written by this script: path -> list of strings. Used to
# check that each distinctive word is in its own file only.
TEXT = {}
# Titles (core property, <title>, front matter): path -> title. A distinctive word must be in
# neither the title nor the file name.
TITLE = {}

# The distinctive words: path -> {"found": [...], "not_found": [...]}. "found": a word that is
# only in the body of that file (not in its name or title) and that an importer reading the
# file must find; "not_found": a word in the file that an importer must NOT find (inside a
# <script>, in an image's pixels, in a file that must be refused). Written to body-words.json.
WORDS = {}
# Files that are copies of others (inside mixed.zip): their words come from the originals.
COPIES = {}


def rec(path, *texts):
    TEXT.setdefault(path, []).extend(texts)
    return texts[0] if len(texts) == 1 else texts


def words(path, found=(), not_found=()):
    WORDS[path] = {"found": list(found), "not_found": list(not_found)}


def out(path):
    p = OUT / path
    p.parent.mkdir(parents=True, exist_ok=True)
    return p


# ---------------------------------------------------------------------------------------------
# Zips


def normalise_zip(path):
    """Rewrites a zip saved by a library with a fixed time on every entry, the same order and
    compression, and fixed dates in docProps/core.xml (openpyxl stamps "modified" at save)."""
    src = Path(path).read_bytes()
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(buf, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "docProps/core.xml":
                stamp = FIXED.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                for tag in (b"dcterms:created", b"dcterms:modified"):
                    data = re.sub(
                        rb"(<" + tag + rb"[^>]*>)[^<]*(</" + tag + rb">)",
                        rb"\g<1>" + stamp + rb"\g<2>",
                        data,
                    )
            new = zipfile.ZipInfo(info.filename, ZIP_TIME)
            new.compress_type = info.compress_type
            new.external_attr = info.external_attr
            new.create_system = 0
            zout.writestr(new, data)
    Path(path).write_bytes(buf.getvalue())


def write_zip(path, entries, dirs=True):
    """A zip of (name, bytes) entries, sorted by name, deflated, with a fixed time; folder
    entries ("a/", as most zip tools write them) for every folder when dirs is true. zipfile
    sets the UTF-8 flag on every non-ASCII name."""
    names = dict(entries)
    if dirs:
        for name in list(names):
            parts = name.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                names.setdefault("/".join(parts[:i]) + "/", b"")
    with zipfile.ZipFile(path, "w") as z:
        for name in sorted(names):
            info = zipfile.ZipInfo(name, ZIP_TIME)
            # "Made by" Unix (zipfile's default on Linux): Info-ZIP's unzip converts the names
            # of entries made by MS-DOS from the OEM code page even when the UTF-8 flag is set.
            info.create_system = 3
            if name.endswith("/"):
                info.external_attr = (0o40755 << 16) | 0x10
                info.compress_type = zipfile.ZIP_STORED
            else:
                info.external_attr = 0o100644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, names[name])


def dos_time(t):
    y, mo, d, h, mi, s = t
    return (h << 11) | (mi << 5) | (s // 2), ((y - 1980) << 9) | (mo << 5) | d


def write_zip_raw_names(path, entries):
    """A zip written byte by byte: entry names as the given bytes, general-purpose flag 0 (no
    UTF-8 flag, bit 11), "made by" MS-DOS, as Windows Explorer's "Send to > Compressed folder"
    writes them on a Chinese Windows (names in the ANSI code page, GBK). Entries are
    (name_bytes, data); names ending in "/" are folders. Files are deflated (raw deflate)."""
    mtime, mdate = dos_time(ZIP_TIME)
    local = bytearray()
    central = bytearray()
    for name, data in entries:
        is_dir = name.endswith(b"/")
        crc = zlib.crc32(data) & 0xFFFFFFFF
        if is_dir or not data:
            method, comp = 0, data
        else:
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
            method, comp = 8, c.compress(data) + c.flush()
        offset = len(local)
        local += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, method, mtime, mdate,
            crc, len(comp), len(data), len(name), 0,
        )
        local += name + comp
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, mtime, mdate,
            crc, len(comp), len(data), len(name), 0, 0, 0, 0,
            0x10 if is_dir else 0x20, offset,
        )
        central += name
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries),
        len(central), len(local), 0,
    )
    Path(path).write_bytes(bytes(local + central + end))


# ---------------------------------------------------------------------------------------------
# Pictures


def png_chart(width=320, height=200):
    """A small bar chart with no text in it (Pillow's PNG writer adds no timestamp)."""
    from PIL import Image, ImageDraw

    rnd = random.Random(7)
    img = Image.new("RGB", (width, height), (255, 255, 255))
    d = ImageDraw.Draw(img)
    d.line([(20, height - 20), (width - 10, height - 20)], fill=(60, 60, 60), width=2)
    d.line([(20, 10), (20, height - 20)], fill=(60, 60, 60), width=2)
    bars = sorted((rnd.randint(20, height - 40) for _ in range(8)), reverse=True)
    w = (width - 40) // len(bars)
    for i, h in enumerate(bars):
        x = 26 + i * w
        d.rectangle([x, height - 20 - h, x + w - 8, height - 21], fill=(30 + 25 * i, 90, 160))
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# Word documents


def set_core(props, title, subject=""):
    props.title = title
    props.subject = subject
    props.author = "Playbook fixtures"
    props.last_modified_by = "Playbook fixtures"
    props.created = FIXED
    props.modified = FIXED
    props.last_printed = FIXED
    props.revision = 1
    props.keywords = ""
    props.comments = ""


def mark_header_row(row):
    """w:tblHeader on a python-docx table row: Word repeats it as the table's header row."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def docx_quote_strategy(path):
    from docx import Document

    rel = "documents/报价策略方案.docx"
    doc = Document()
    set_core(doc.core_properties, "报价策略方案", "Pricing strategy")
    TITLE[rel] = "报价策略方案"
    doc.add_heading(rec(rel, "报价策略方案"), level=1)
    doc.add_paragraph(rec(rel, "本方案适用于华东区 2023 年下半年的所有新签客户。每一笔低于指导价的报价，"
                               "都必须先提交折扣审批单，由区域经理在两个工作日内批复。"))
    doc.add_paragraph(rec(rel, "This plan covers every new account signed in East China in the second half "
                               "of 2023. Quotes below the list price go through the quorumtrack review first."))
    p = doc.add_paragraph(rec(rel, "任何情况下都不得突破"))
    r = p.add_run(rec(rel, "毛利底线"))
    r.bold = True
    p.add_run(rec(rel, "：整单毛利率不低于 18%。"))
    doc.add_heading(rec(rel, "报价原则 Pricing principles"), level=2)
    for item in ["先谈价值，后谈价格", "Never quote on the first call", "大单必须附竞品对比"]:
        doc.add_paragraph(rec(rel, item), style="List Bullet")
    doc.add_heading(rec(rel, "审批流程"), level=2)
    for item in ["销售填写报价单并注明让利原因", "Regional manager approves within two working days",
                 "财务复核账期与付款方式"]:
        doc.add_paragraph(rec(rel, item), style="List Number")
    doc.add_heading(rec(rel, "价格区间 Price bands"), level=2)
    rows = [
        ["产品线 Product", "指导价 List", "最低折扣 Floor", "说明 Notes"],
        ["标准版 Standard", "12,800", "9 折", "阶梯报价：满 10 套再降 2%"],
        ["旗舰版 Flagship", "36,000", "85 折", "Bundle with onboarding"],
    ]
    table = doc.add_table(rows=3, cols=4)
    table.style = "Table Grid"
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            cell = table.cell(i, j)
            cell.text = rec(rel, value)
            if i == 0:
                cell.paragraphs[0].runs[0].bold = True
    mark_header_row(table.rows[0])
    doc.add_paragraph(rec(rel, "如有疑问，请联系区域销售运营。Questions go to regional sales operations."))
    doc.save(path)
    normalise_zip(path)
    words(rel, found=["折扣审批单", "quorumtrack", "毛利底线", "阶梯报价"])


def docx_english_proposal(path):
    from docx import Document

    rel = "documents/english-proposal.docx"
    doc = Document()
    title = "Proposal: Regional Distribution Pilot"
    set_core(doc.core_properties, title, "Proposal")
    TITLE[rel] = title
    doc.add_heading(rec(rel, title), level=1)
    doc.add_paragraph(rec(rel, "Prepared for Hangzhou Yuanfan Trading Co., Ltd. (杭州远帆贸易有限公司)."))
    doc.add_heading(rec(rel, "Background"), level=2)
    doc.add_paragraph(rec(rel, "Yuanfan runs 14 stores across Zhejiang. The pilotfeather programme lets "
                               "three of them sell our Standard edition for one quarter, with weekly "
                               "sell-through reports."))
    doc.add_paragraph(rec(rel, "客户已口头同意签署续约意向书，正式合同在试点结束后确认。"))
    doc.add_heading(rec(rel, "Commercial terms"), level=2)
    rows = [
        ["Item", "Quantity", "Unit price (CNY)"],
        ["Standard edition", "30", "12,800"],
        ["Onboarding days", "6", "4,000"],
        ["Tablemarrow display kit", "3", "1,500"],
    ]
    table = doc.add_table(rows=4, cols=3)
    table.style = "Table Grid"
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            table.cell(i, j).text = rec(rel, value)
    mark_header_row(table.rows[0])
    doc.add_heading(rec(rel, "Next steps"), level=2)
    doc.add_paragraph(rec(rel, "Sign the pilot agreement by 15 May; stores go live on 1 June."))
    doc.save(path)
    normalise_zip(path)
    words(rel, found=["pilotfeather", "续约意向书", "tablemarrow"])


def docx_simple(path, rel, title, paragraphs):
    from docx import Document

    doc = Document()
    set_core(doc.core_properties, title)
    TITLE[rel] = title
    doc.add_heading(rec(rel, title), level=1)
    for text in paragraphs:
        doc.add_paragraph(rec(rel, text))
    doc.save(path)
    normalise_zip(path)


# ---------------------------------------------------------------------------------------------
# PowerPoint


def pptx_training(path, picture):
    from pptx import Presentation
    from pptx.util import Inches

    rel = "documents/新员工培训课件.pptx"
    prs = Presentation()
    cp = prs.core_properties
    cp.title = "新员工培训课件"
    cp.author = "Playbook fixtures"
    cp.last_modified_by = "Playbook fixtures"
    cp.created = FIXED
    cp.modified = FIXED
    cp.last_printed = FIXED
    cp.revision = 1
    TITLE[rel] = "新员工培训课件"

    def bullets(slide, items):
        body = slide.placeholders[1].text_frame
        first = True
        for level, text in items:
            para = body.paragraphs[0] if first else body.add_paragraph()
            first = False
            para.text = rec(rel, text)
            para.level = level

    # 1: title and two levels of bullets
    s = prs.slides.add_slide(prs.slide_layouts[1])
    s.shapes.title.text = rec(rel, "第一周：认识我们的客户")
    bullets(s, [
        (0, "客户分三类：战略、重点、普通"),
        (1, "战略客户每月至少拜访一次"),
        (1, "Key accounts get a slidewarren review every quarter"),
        (0, "演示设备需签样机借用协议后出库"),
        (1, "归还时由仓库验收"),
    ])
    # 2: title and a table, with speaker notes
    s = prs.slides.add_slide(prs.slide_layouts[5])
    s.shapes.title.text = rec(rel, "产品与价格 Products and prices")
    rows = [["产品 Product", "指导价 List", "区域代理价 Reseller"],
            ["标准版 Standard", "12,800", "9,600"],
            ["旗舰版 Flagship", "36,000", "27,000"]]
    shape = s.shapes.add_table(3, 3, Inches(0.8), Inches(1.8), Inches(8.4), Inches(1.5))
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            shape.table.cell(i, j).text = rec(rel, value)
    s.notes_slide.notes_text_frame.text = rec(
        rel, "讲解时先问学员是否看过陪访计划表。Mention the lanternmoss checklist before the prices.")
    # 3: title and bullets
    s = prs.slides.add_slide(prs.slide_layouts[1])
    s.shapes.title.text = rec(rel, "拜访流程 The visit")
    bullets(s, [
        (0, "拜访前：确认目标与议程"),
        (1, "Send the agenda a day ahead"),
        (0, "拜访后：24 小时内写复盘"),
        (1, "复盘写入 Playbook"),
    ])
    # 4: title and bullets
    s = prs.slides.add_slide(prs.slide_layouts[1])
    s.shapes.title.text = rec(rel, "考核 Assessment")
    bullets(s, [
        (0, "第四周结束时进行角色扮演考核"),
        (1, "Pass mark: 80 of 100"),
    ])
    # 5: only a picture, no text at all (blank layout)
    s = prs.slides.add_slide(prs.slide_layouts[6])
    s.shapes.add_picture(io.BytesIO(picture), Inches(2), Inches(1.5), width=Inches(6))
    prs.save(path)
    normalise_zip(path)
    words(rel, found=["样机借用协议", "slidewarren", "区域代理价"],
          not_found=[])
    # The notes' words are listed apart: whether notes are imported is the importer's choice.
    WORDS[rel]["notes_only"] = ["陪访计划表", "lanternmoss"]


# ---------------------------------------------------------------------------------------------
# PDF


def pdf_visit_review(path):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    rel = "documents/客户拜访复盘.pdf"
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    c.setTitle("客户拜访复盘")
    c.setAuthor("Playbook fixtures")
    TITLE[rel] = "客户拜访复盘"
    width, height = A4

    def page(heading, lines):
        y = height - 72
        if heading:
            c.setFont("STSong-Light", 18)
            c.drawString(72, y, rec(rel, heading))
            y -= 36
        for font, text in lines:
            c.setFont("STSong-Light" if font == "zh" else "Helvetica", 11)
            c.drawString(72, y, rec(rel, text))
            y -= 20
        c.showPage()

    page("客户拜访复盘", [
        ("zh", "客户：苏州恒拓精密机械有限公司"),
        ("zh", "拜访日期：2023 年 4 月 18 日，陪同：区域经理"),
        ("zh", "结论：客户同意在月底前出具回款承诺函，剩余货款分两期支付。"),
        ("en", "Summary: the buyer agreed to the ferroglyph schedule for the remaining balance."),
        ("en", "Risk: their finance team changed last month; the new controller is cautious."),
        ("zh", "下一步：周五前把对账单发给财务总监。"),
    ])
    page("", [
        ("zh", "第二页：后续安排"),
        ("zh", "把这家客户加入本季度的关单预测表，预计金额 48 万元。"),
        ("en", "Follow-up owner: the brindlecove team in Suzhou, weekly until paid."),
        ("zh", "备注：客户偏好电话沟通，不喜欢邮件催款。"),
    ])
    c.save()
    words(rel, found=["回款承诺函", "ferroglyph", "关单预测表", "brindlecove"])
    WORDS[rel]["page_2_only"] = ["关单预测表", "brindlecove"]


def pdf_scanned(path):
    """A page that is one image: text as pixels only, no text operators."""
    from PIL import Image, ImageDraw, ImageFont
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    rel = "documents/scanned-contract.pdf"
    img = Image.new("L", (620, 877), 255)
    d = ImageDraw.Draw(img)
    # Pillow's built-in font (the same in every Pillow wheel): English only, no CJK font needed.
    big = ImageFont.load_default(size=28)
    small = ImageFont.load_default(size=16)
    d.text((60, 60), "SALES CONTRACT", font=big, fill=0)
    lines = ["Contract no. 2023-0418", "Buyer: Suzhou Hengtuo Precision", "Seller: (see stamp)",
             "Payment: 30% deposit, 70% on delivery", "Code word: ZEPHYRQUILL",
             "Signed and stamped by both parties."]
    for i, line in enumerate(lines):
        d.text((60, 130 + 34 * i), rec(rel, line), font=small, fill=0)
    d.ellipse([400, 620, 540, 760], outline=90, width=5)  # the "stamp"
    rnd = random.Random(11)  # scanner noise
    for _ in range(1500):
        img.putpixel((rnd.randrange(620), rnd.randrange(877)), rnd.randrange(150, 230))
    class ImageOnlyCanvas(canvas.Canvas):
        # reportlab starts every page with an empty text object that sets a font
        # ("BT /F1 12 Tf 14.4 TL ET"); a scan has no text object and no font at all.
        def _make_preamble(self):
            self._preamble = "1 0 0 1 0 0 cm"

    c = ImageOnlyCanvas(str(path), pagesize=A4, invariant=1)
    c.setTitle("scanned-contract")
    TITLE[rel] = "scanned-contract"
    c.drawImage(ImageReader(img), 0, 0, width=A4[0], height=A4[1])
    c.showPage()
    c.save()
    words(rel, not_found=["zephyrquill"])


# ---------------------------------------------------------------------------------------------
# Spreadsheets


def xlsx_yearly_sales(path):
    import openpyxl
    from openpyxl.styles import Font

    rel = "documents/年度销售数据.xlsx"
    wb = openpyxl.Workbook()
    wb.properties.title = "年度销售数据"
    wb.properties.creator = "Playbook fixtures"
    wb.properties.created = FIXED
    wb.properties.modified = FIXED
    TITLE[rel] = "年度销售数据"
    header = ["日期", "客户", "产品", "数量", "单价", "金额", "备注"]
    sheets = {
        "华东": [
            (datetime.date(2023, 1, 9), "上海明远贸易", "标准版", 10, 12.3456, "含渠道返利 3%"),
            (datetime.date(2023, 2, 14), "杭州远帆贸易", "旗舰版", 2, 3600.5, "Q1 deal"),
            (datetime.date(2023, 3, 30), "苏州恒拓精密", "标准版", 25, 11.875, "cobaltwren bundle"),
            (datetime.date(2023, 4, 3), "南京千禾食品", "服务包", 1, 4000.0, ""),
        ],
        "华北": [
            (datetime.date(2023, 1, 17), "北京北辰科技", "标准版", 8, 12.8, "签订铺货协议"),
            (datetime.date(2023, 2, 28), "天津港盛物流", "旗舰版", 1, 3600.0, "首单"),
            (datetime.date(2023, 3, 6), "石家庄华润医药", "标准版", 12, 12.1234, "renewal"),
        ],
    }
    ws = wb.active
    ws.title = "华东"
    for name, rows in sheets.items():
        if name != ws.title:
            ws = wb.create_sheet(name)
        ws.append([rec(rel, h) for h in header])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for r, (day, customer, product, qty, price, note) in enumerate(rows, start=2):
            rec(rel, customer, product, note)
            ws.append([day, customer, product, qty, price, None, note])
            ws.cell(r, 1).number_format = "yyyy-mm-dd"
            ws.cell(r, 5).number_format = "0.0000"
            ws.cell(r, 6).value = f"=D{r}*E{r}"
            ws.cell(r, 6).number_format = "#,##0.00"
    wb.save(path)
    normalise_zip(path)
    words(rel, found=["渠道返利", "铺货协议", "cobaltwren"])


# ---------------------------------------------------------------------------------------------
# Text in Chinese Windows encodings, and HTML


def html_competitors(path):
    rel = "documents/竞品分析.html"
    TITLE[rel] = "竞品分析"
    body = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="gbk">
<title>竞品分析</title>
<style>
/* stylemoth: 样式表里的字不算正文 */
body { font-family: "SimSun", serif; }
table { border-collapse: collapse; }
</style>
<script type="text/javascript">
// 页面统计脚本，内容不是正文：隐藏跟踪码 scriptlurk
var trackerId = "scriptlurk-2023";
document.title = document.title + " - 内部";
</script>
</head>
<body>
<h1>竞品分析</h1>
<p>本页汇总 2023 年第一季度在华东区遇到的三家主要竞争对手。详细数据见竞品对标表。</p>
<h2>主要对手 Main competitors</h2>
<ul>
<li>甲公司：价格低 15%，但交付周期长</li>
<li>乙公司：渠道强，服务弱</li>
<li>Company C: strong in hospitals, the mistralpine line</li>
</ul>
<h2>对比 Comparison</h2>
<table border="1">
<tr><th>对手</th><th>价格</th><th>交付</th></tr>
<tr><td>甲公司</td><td>低</td><td>45 天</td></tr>
<tr><td>乙公司</td><td>持平</td><td>20 天</td></tr>
<tr><td>Company C</td><td>high</td><td>14 days</td></tr>
</table>
<p>结论：强调交付与服务，不打价格战。</p>
</body>
</html>
"""
    rec(rel, body)
    Path(path).write_bytes(body.replace("\n", "\r\n").encode("gbk"))
    words(rel, found=["竞品对标表", "mistralpine"], not_found=["隐藏跟踪码", "scriptlurk", "stylemoth"])


MEETING_NOTES = """会议纪要

时间：2023年5月8日 14:00-15:30
地点：上海办公室 3 号会议室
参会：王经理、李娜、陈涛、Mike (远程)

一、五月份备货计划
1. 标准版按上月销量的 1.2 倍备货。
2. 旗舰版只接现货订单，不再预售。

二、回款情况
截至 5 月 5 日，华东区逾期应收 86 万元，其中 60 万元已约定本月回款。

三、Action items
- Mike: send the harborlumen forecast to finance by Friday.
- 李娜：周三前更新重点客户名单。

记录人：陈涛
"""


def text_files(docs):
    rel = "documents/会议纪要.txt"
    rec(rel, MEETING_NOTES)
    # Notepad on a Chinese Windows ("ANSI"): GBK bytes, CRLF line ends, no BOM.
    (docs / "会议纪要.txt").write_bytes(MEETING_NOTES.replace("\n", "\r\n").encode("gbk"))
    words(rel, found=["备货计划", "harborlumen"])

    rel = "documents/notes-utf16.txt"
    text = """Notes from the distributor call / 经销商电话会记录

The distributor asked for 账期延长 from 30 to 60 days.
We offered 45 days if they commit to the velvetquarry volume.
下次通话：5 月 20 日。
"""
    rec(rel, text)
    # "Unicode" in Notepad: UTF-16 LE with a BOM, CRLF line ends.
    (docs / "notes-utf16.txt").write_bytes(
        b"\xff\xfe" + text.replace("\n", "\r\n").encode("utf-16-le"))
    words(rel, found=["账期延长", "velvetquarry"])


def zips(docs):
    # mixed.zip: a folder tree with copies of three documents and a Markdown note.
    rel = "documents/mixed.zip"
    note = """# 区域周报

本周完成团购报价单 3 份，两份已回签。

- The emberloft account asked for a second demo.
- 下周重点：跟进苏州恒拓的回款。
"""
    rec(rel, note)
    write_zip(docs / "mixed.zip", [
        ("销售资料/报价/报价策略方案.docx", (docs / "报价策略方案.docx").read_bytes()),
        ("销售资料/培训/新员工培训课件.pptx", (docs / "新员工培训课件.pptx").read_bytes()),
        ("销售资料/会议纪要.txt", (docs / "会议纪要.txt").read_bytes()),
        ("销售资料/笔记/区域周报.md", note.encode("utf-8")),
    ])
    words(rel, found=["团购报价单", "emberloft"])
    COPIES[rel] = ["documents/报价策略方案.docx", "documents/新员工培训课件.pptx",
                   "documents/会议纪要.txt"]

    # gbk-names.zip: names as GBK bytes and no UTF-8 flag, as Windows Explorer writes them.
    rel = "documents/gbk-names.zip"
    md = """# 客户回访

回访话术：先感谢对方上次的订单，再问使用情况。

- Ask about the duskmarble rollout.
"""
    txt = """电话记录
5月9日 来电登记：天津港盛物流询问旗舰版价格。
Caller asked about tinselgrove pricing.
"""
    rec(rel, md, txt)
    write_zip_raw_names(docs / "gbk-names.zip", [
        ("销售笔记/".encode("gbk"), b""),
        ("销售笔记/客户回访.md".encode("gbk"), md.encode("utf-8")),
        ("销售笔记/电话记录.txt".encode("gbk"), txt.replace("\n", "\r\n").encode("gbk")),
    ])
    words(rel, found=["回访话术", "duskmarble", "来电登记", "tinselgrove"])


# ---------------------------------------------------------------------------------------------
# Hostile files


def hostile(dirpath):
    import msoffcrypto.method.ecma376_agile as agile
    from msoffcrypto.format.ooxml import OOXMLFile

    # encrypted.docx: a python-docx document encrypted with msoffcrypto-tool (ECMA-376 agile
    # encryption, what Word writes for "Encrypt with Password"); its salts and key come from
    # a seeded generator instead of the OS so that reruns give the same bytes.
    rel = "hostile/encrypted.docx"
    plain = dirpath / "encrypted-plain.docx"
    docx_simple(plain, rel, "Encrypted", [
        "这份文件有密码保护，里面是保密协议书的草稿。",
        "The cipherwick terms are confidential.",
    ])
    import msoffcrypto.method.container.ecma376_encrypted as container

    class FixedNow(datetime.datetime):  # the OLE container's directory times
        @classmethod
        def now(cls, tz=None):
            return FIXED

    rnd = random.Random(1234)
    saved = agile._random_buffer, container.datetime
    agile._random_buffer = lambda size: rnd.randbytes(size)
    container.datetime = FixedNow
    try:
        with open(plain, "rb") as fin, open(dirpath / "encrypted.docx", "wb") as fout:
            OOXMLFile(fin).encrypt("secret", fout)
    finally:
        agile._random_buffer, container.datetime = saved
    plain.unlink()
    words(rel, not_found=["保密协议书", "cipherwick"])

    # corrupt.docx: a valid docx cut to half its length (no central directory left).
    rel = "hostile/corrupt.docx"
    whole = dirpath / "corrupt-whole.docx"
    docx_simple(whole, rel, "Corrupt", [
        "这是一份合作备忘录，文件在传输中被截断了。",
        "The halfmast section never arrives.",
    ] + ["填充段落 filler paragraph %d" % i for i in range(40)])
    data = whole.read_bytes()
    (dirpath / "corrupt.docx").write_bytes(data[: len(data) // 2])
    whole.unlink()
    words(rel, not_found=["合作备忘录", "halfmast"])

    # not-really.pdf: plain text with a .pdf name.
    rel = "hostile/not-really.pdf"
    text = rec(rel, "This is plain text saved with a .pdf name, not a PDF.\n"
                    "伪装文件：扩展名是 pdf，内容是文本。fakeparchment\n")
    (dirpath / "not-really.pdf").write_bytes(text.encode("utf-8"))
    words(rel, not_found=["伪装文件", "fakeparchment"])

    # bomb.zip: one entry of 1 GiB of zeros, deflated (about 1 MB), streamed in chunks.
    info = zipfile.ZipInfo("zeros.txt", ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 0
    info.external_attr = 0x20
    chunk = bytes(1 << 20)
    with zipfile.ZipFile(dirpath / "bomb.zip", "w") as z:
        with z.open(info, "w", force_zip64=True) as f:
            for _ in range(1024):
                f.write(chunk)

    # traversal.zip: names written raw (zipfile only sanitises when extracting).
    rel = "hostile/traversal.zip"
    evil = "# evil\n\n越界文件：这个条目想写到解压目录之外。pathsneak\n"
    fine = "# fine\n\n合规培训：这个条目是正常的。fineharbor\n"
    rec(rel, evil, fine)
    with zipfile.ZipFile(dirpath / "traversal.zip", "w") as z:
        for name, data in [("../evil.md", evil), ("/abs/evil.md", evil), ("ok/fine.md", fine)]:
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.create_system = 0
            info.external_attr = 0x20
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data.encode("utf-8"))
    words(rel, found=["合规培训", "fineharbor"], not_found=["越界文件", "pathsneak"])

    # many-entries.zip: 20,001 empty stored entries.
    with zipfile.ZipFile(dirpath / "many-entries.zip", "w") as z:
        for i in range(20001):
            info = zipfile.ZipInfo("%05d.md" % i, ZIP_TIME)
            info.create_system = 0
            info.external_attr = 0x20
            z.writestr(info, b"")


# ---------------------------------------------------------------------------------------------
# Foreign Markdown


MARKDOWN = {
    "hexo-post.md": ("展会后的三通电话", ["展会邀约函", "hexoquill"], """---
title: 展会后的三通电话
date: 2023-05-01 10:20:30
categories: [销售, 谈判]
tags:
  - 展会
  - follow-up
---
展会结束后 48 小时内打三通电话：感谢、约见、报价。发出展会邀约函的客户优先。

<!-- more -->

## Why three calls

The hexoquill rule: one call is a courtesy, three calls are a process.
"""),
    "hugo-post.md": ("Channel incentives for Q3", ["渠道激励方案", "hugomantle"], """+++
title = "Channel incentives for Q3"
date = 2023-05-02T09:00:00+08:00
draft = false
tags = ["渠道", "激励"]
categories = ["销售"]
+++

第三季度的渠道激励方案按季度返点，达标线为去年同期的 110%。

{{< note >}}
Resellers below the line still get the hugomantle training budget.
{{< /note >}}
"""),
    "jekyll-post.md": ("年度框架谈判要点", ["年框合同", "jekyllfern"], """---
layout: post
title: "年度框架谈判要点"
permalink: /sales/annual-frame/
date: 2023-05-03 08:00:00 +0800
---

年框合同先锁价格区间，再谈交付节奏。

{% include callout.html text="Bring the jekyllfern price sheet to every renewal." %}

[返回首页]({{ site.baseurl }}/)
"""),
    "obsidian/客户分级笔记.md": ("客户分级笔记", ["大客户分层", "obsidrift"], """---
aliases: [客户分级, Customer tiers]
tags: [客户]
---
# 客户分级笔记

按年采购额做大客户分层：前 20% 的客户贡献约 80% 的销售额。The obsidrift view keeps the tiers honest.

相关：[[回款跟进]]，以及 [[回款跟进|跟进]] 的节奏。

![[pareto.png]]

#回款 #客户/分级
"""),
    "obsidian/回款跟进.md": ("回款跟进", ["催款节奏", "followwisp"], """# 回款跟进

催款节奏：到期前 7 天提醒，逾期第 1 天电话，第 15 天上门。

- The followwisp list is reviewed every Monday.

返回 [[客户分级笔记]]
"""),
    "typora-note.md": ("第二季度销售漏斗", ["漏斗复盘", "typoraglen"], """# 第二季度销售漏斗

这次漏斗复盘发现：方案阶段的机会停留太久，平均 41 天。

![](assets/diagram.png)

Next: the typoraglen checklist for stage gates.
"""),
    "Notion 价格谈判 3f2a9c1e0b4d4e6f8a7b6c5d4e3f2a1b.md": ("价格谈判", ["让步底线", "notionbrisk"], """# 价格谈判

Tags: 价格, 谈判
Created: May 1, 2023 10:20 AM

谈判前写下让步底线，每次让步都要换回一个条件。

- Use the notionbrisk ladder: 3%, then 2%, then 1%.
"""),
    "yuque-note.md": ("大项目立项前的准备", ["商机评审会", "yuquelark"], """<a name="b3Gm1"></a>
# 大项目立项前的准备
<a name="Zq0Xa"></a>
## 一、为什么要评审
每个金额超过 50 万的机会，在报价前都要开一次商机评审会。<br />Every deal above 500k goes through the yuquelark review.

:::tips
评审材料至少提前一天发出。
:::

![image.png](https://cdn.nlark.com/yuque/0/2023/png/2391234/1682907630000-8f3c2a1e-7b6d-4e5f-9a8b-1c2d3e4f5a6b.png#averageHue=%23f6f6f6&clientId=u4a2b9c1d-3e5f&from=paste&height=320&id=u7e8f9a0b&originHeight=640&originWidth=1280&originalType=binary&ratio=2&rotation=0&showTitle=false&size=45678&status=done&style=none&taskId=u1c2d3e4f-5a6b&title=&width=640)

<a name="Yt7Qw"></a>
## 二、评审清单
| 项目 | 负责人 |
| --- | --- |
| 客户组织结构 | 销售 |
| 技术方案 | 售前 |

<font style="color:#DF2A3F;">注意：</font>评审会上不讨论具体价格。
"""),
    "feishu-doc.md": ("试用客户跟进", ["试用转化率", "larkspindle"], """# 试用客户跟进

> 💡 本文档由销售运营维护，每周一更新。

## 本月目标
- [x] 试用客户全部完成首次回访
- [ ] 试用转化率提升到 35%

## 负责人
@王芳 负责华东，@刘洋 负责华北。The larkspindle dashboard tracks both.

| 阶段 | 客户数 |
|---|---|
| 试用中 | 12 |
| 已转化 | 4 |

参考：[试用流程](https://example.feishu.cn/docx/AbCdEfGhIjKlMnOpQrStUvWxYz)
"""),
    "broken-yaml.md": ("(front matter does not parse)", ["投标保证金", "brokenmarsh"], """---
title: 投标注意事项
tags: [投标, 资质
owner: : 李娜
\tdate: 2023-05-04
---

投标保证金要在截止日前三天到账，否则废标。

The brokenmarsh checklist covers the rest.
"""),
    "crlf-bom.md": ("续签提醒", ["合同续签", "crlfheron"], """---
title: 续签提醒
date: 2023-05-05
---
# 续签提醒

到期前 90 天启动合同续签流程，60 天前必须报价。

The crlfheron reminder goes out automatically.
"""),
}


def markdown(pareto_png, diagram_png):
    for name, (title, found, text) in MARKDOWN.items():
        rel = "markdown/" + name
        TITLE[rel] = title
        rec(rel, text)
        data = text.encode("utf-8")
        if name == "crlf-bom.md":
            data = b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8")
        out(rel).write_bytes(data)
        words(rel, found=found)
    out("markdown/obsidian/pareto.png").write_bytes(pareto_png)
    out("markdown/assets/diagram.png").write_bytes(diagram_png)


# ---------------------------------------------------------------------------------------------
# Accounts: Superstore shaped, aggregated per customer


FIRST = ["Aaron", "Adam", "Alan", "Alex", "Amy", "Andrew", "Angela", "Anna", "Anthony", "Barbara",
         "Ben", "Brian", "Carl", "Carol", "Chris", "Claire", "Craig", "Dan", "David", "Dennis",
         "Diana", "Edward", "Emily", "Eric", "Erin", "Frank", "Gary", "Grace", "Greg", "Harry",
         "Helen", "Henry", "Ivan", "Jack", "James", "Jane", "Jason", "Jennifer", "Jill", "Joe",
         "John", "Karen", "Kelly", "Ken", "Laura", "Linda", "Lisa", "Mark", "Mary", "Matt",
         "Michael", "Nancy", "Nick", "Paul", "Pete", "Rachel", "Rick", "Robert", "Ruth", "Sam",
         "Sandra", "Sarah", "Sean", "Steve", "Susan", "Thomas", "Tom", "Tony", "Victoria"]
LAST = ["Adams", "Allen", "Baker", "Bell", "Brooks", "Brown", "Carter", "Clark", "Collins", "Cook",
        "Cooper", "Davis", "Edwards", "Evans", "Fisher", "Foster", "Garcia", "Gray", "Green", "Gute",
        "Hall", "Harris", "Hill", "Howard", "Hughes", "Jackson", "James", "Johnson", "Jones", "Kelly",
        "King", "Lee", "Lewis", "Martin", "Miller", "Mitchell", "Moore", "Morgan", "Murphy", "Nelson",
        "Parker", "Perez", "Phillips", "Price", "Reed", "Roberts", "Rogers", "Ross", "Sanders", "Scott",
        "Smith", "Stewart", "Taylor", "Thomas", "Turner", "Walker", "Ward", "Watson", "White", "Wood"]
PLACES = [  # (City, State, Region)
    ("New York City", "New York", "East"), ("Philadelphia", "Pennsylvania", "East"),
    ("Boston", "Massachusetts", "East"), ("Newark", "Delaware", "East"),
    ("Columbus", "Ohio", "East"), ("Buffalo", "New York", "East"),
    ("Los Angeles", "California", "West"), ("San Francisco", "California", "West"),
    ("Seattle", "Washington", "West"), ("Denver", "Colorado", "West"),
    ("Phoenix", "Arizona", "West"), ("Portland", "Oregon", "West"),
    ("Houston", "Texas", "Central"), ("Chicago", "Illinois", "Central"),
    ("Dallas", "Texas", "Central"), ("Detroit", "Michigan", "Central"),
    ("Minneapolis", "Minnesota", "Central"), ("Springfield", "Missouri", "Central"),
    ("Jacksonville", "Florida", "South"), ("Louisville", "Kentucky", "South"),
    ("Henderson", "Kentucky", "South"), ("Atlanta", "Georgia", "South"),
    ("Miami", "Florida", "South"), ("Richmond", "Virginia", "South"),
]
SUPERSTORE_HEADER = ["Customer ID", "Customer Name", "Segment", "Country", "City", "State", "Region",
                     "Sales", "Quantity", "Discount", "Profit"]
Q4 = Decimal("0.0001")
# Tuned so that about a fifth of the customers lose money and the top fifth bring about half
# the sales, roughly as in the real Superstore (793 customers, about 2.3 million in sales).
SCALE_SIGMA = 0.5
DISCOUNT_COST = Decimal("0.68")


def superstore_rows():
    rnd = random.Random(20230501)
    names = ["Claire Gute", "Patrick O'Donnell", "Anthony O'Donnell", "Sean O'Donnell",
             "Erin O'Brien", "Karen D'Agostino"]
    pool = [f"{f} {l}" for f in FIRST for l in LAST]
    rnd.shuffle(pool)
    for name in pool:
        if len(names) == 793:
            break
        if name not in names:
            names.append(name)
    rnd.shuffle(names)
    ids = {"CG-12520"}
    discounts = [Decimal(d) for d in ["0", "0", "0", "0", "0.1", "0.15", "0.2", "0.2", "0.2",
                                      "0.3", "0.4", "0.45", "0.5", "0.6", "0.7", "0.8"]]
    rows = []
    for name in names:
        first, last = name.split(" ", 1)
        initials = first[0] + last[0]
        cid = "CG-12520"  # the first customer of the real Superstore
        while name != "Claire Gute":
            cid = f"{initials}-{rnd.randrange(10000, 25000, 5)}"
            if cid not in ids:
                ids.add(cid)
                break
        segment = rnd.choices(["Consumer", "Corporate", "Home Office"], [52, 30, 18])[0]
        city, state, region = rnd.choice(PLACES)
        sales = profit = Decimal(0)
        quantity = 0
        line_discounts = []
        scale = rnd.lognormvariate(0, SCALE_SIGMA)
        for _ in range(rnd.randint(1, 18)):
            price = Decimal(str(round(max(1.0, rnd.lognormvariate(3.6, 1.1) * scale), 2)))
            qty = rnd.randint(1, 9)
            disc = rnd.choice(discounts)
            line = (price * qty * (1 - disc)).quantize(Q4)
            margin = Decimal(str(round(rnd.uniform(0.02, 0.42), 2))) - disc * DISCOUNT_COST
            sales += line
            profit += (line * margin).quantize(Q4)
            quantity += qty
            line_discounts.append(disc)
        discount = (sum(line_discounts) / len(line_discounts)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        discount = discount.normalize() if discount else Decimal(0)
        rows.append({
            "Customer ID": cid, "Customer Name": name, "Segment": segment,
            "Country": "United States", "City": city, "State": state, "Region": region,
            "Sales": sales.quantize(Q4), "Quantity": quantity, "Discount": discount,
            "Profit": profit.quantize(Q4),
        })
    # The real Superstore lists customers by id.
    rows.sort(key=lambda r: r["Customer ID"])
    assert len({r["Customer ID"] for r in rows}) == len(rows) == 793
    return rows


def superstore_expected(rows):
    n = len(rows)
    total_sales = sum(r["Sales"] for r in rows)
    total_profit = sum(r["Profit"] for r in rows)
    ordered = sorted((r["Sales"] for r in rows), reverse=True)
    top_n = math.ceil(Decimal(n) * Decimal("0.2"))
    share = (sum(ordered[:top_n]) / total_sales).quantize(Decimal("0.000001"), ROUND_HALF_UP)
    running, k = Decimal(0), 0
    for k, s in enumerate(ordered, start=1):
        running += s
        if running >= total_sales * Decimal("0.8"):
            break
    return {
        "rows": n,
        "sum_sales": str(total_sales.quantize(Q4)),
        "sum_profit": str(total_profit.quantize(Q4)),
        "negative_profit_customers": sum(1 for r in rows if r["Profit"] < 0),
        "top_20_percent_customers": top_n,
        "top_20_percent_sales_share": str(share),
        "customers_to_80_percent_of_sales": k,
    }


def write_csv(path, header, rows, encoding="utf-8", newline="\r\n"):
    import csv

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=newline)
    w.writerow(header)
    for row in rows:
        w.writerow(["" if v is None else str(v) for v in row])
    Path(path).write_bytes(buf.getvalue().encode(encoding))


def new_workbook(title):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.properties.title = title
    wb.properties.creator = "Playbook fixtures"
    wb.properties.created = FIXED
    wb.properties.modified = FIXED
    return wb


def superstore(acc):
    rows = superstore_rows()
    table = [[r[h] for h in SUPERSTORE_HEADER] for r in rows]
    write_csv(acc / "superstore-customers.csv", SUPERSTORE_HEADER, table)

    def num(v):
        return float(v) if isinstance(v, Decimal) else v

    # xlsx: money and discount as numbers (floats), quantity as an integer.
    from openpyxl.styles import Font

    wb = new_workbook("superstore-customers")
    ws = wb.active
    ws.title = "Customers"
    ws.append(SUPERSTORE_HEADER)
    for c in ws[1]:
        c.font = Font(bold=True)
    for row in table:
        ws.append([num(v) for v in row])
    wb.save(acc / "superstore-customers.xlsx")
    normalise_zip(acc / "superstore-customers.xlsx")

    # xls (BIFF8) with xlwt: numbers as IEEE doubles, like the xlsx.
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Customers")
    for j, h in enumerate(SUPERSTORE_HEADER):
        sheet.write(0, j, h)
    for i, row in enumerate(table, start=1):
        for j, v in enumerate(row):
            sheet.write(i, j, num(v))
    book.save(str(acc / "superstore-customers.xls"))

    # ods with odfpy: float cells whose office:value is the exact decimal text.
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    t = Table(name="Customers")
    tr = TableRow()
    for h in SUPERSTORE_HEADER:
        c = TableCell(valuetype="string")
        c.addElement(P(text=h))
        tr.addElement(c)
    t.addElement(tr)
    for row in table:
        tr = TableRow()
        for v in row:
            if isinstance(v, (Decimal, int)):
                c = TableCell(valuetype="float", value=str(v))
            else:
                c = TableCell(valuetype="string")
            c.addElement(P(text=str(v)))
            tr.addElement(c)
        t.addElement(tr)
    doc.spreadsheet.addElement(t)
    doc.save(str(acc / "superstore-customers.ods"))
    normalise_ods(acc / "superstore-customers.ods")

    expected = superstore_expected(rows)
    (acc / "superstore-expected.json").write_text(
        json.dumps(expected, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return rows, expected


def normalise_ods(path):
    """odfpy stamps meta.xml with the time of saving and its own version; fix both."""
    normalise_zip(path)
    src = Path(path).read_bytes()
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(buf, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "meta.xml":
                stamp = FIXED.strftime("%Y-%m-%dT%H:%M:%S").encode()
                for tag in (b"meta:creation-date", b"dc:date"):
                    data = re.sub(rb"(<" + tag + rb">)[^<]*(</" + tag + rb">)",
                                  rb"\g<1>" + stamp + rb"\g<2>", data)
            zout.writestr(info, data)
    Path(path).write_bytes(buf.getvalue())


# ---------------------------------------------------------------------------------------------
# Accounts: CRM exports


CRM_EN_HEADER = ["Account Name", "Account Number", "Account Owner", "Annual Revenue", "Industry",
                 "Billing City", "Billing State/Province", "Type", "Phone", "Website", "Created Date"]


def crm_en(acc):
    rnd = random.Random(42)
    companies = [
        "Acme Logistics Ltd", "Blue Harbor Foods", "上海明远贸易有限公司", "Crescent Medical Supply",
        "Delta Precision Parts", "Evergreen Retail Group", "杭州远帆贸易有限公司", "Falcon Office Systems",
        "Granite Peak Construction", "Horizon Pharma Distribution", "苏州恒拓精密机械有限公司",
        "Ironwood Furniture", "Jade River Tea Co.", "Keystone Auto Parts", "Lotus Garden Hotels",
        "Maple Leaf Education", "北京北辰科技有限公司", "Northwind Traders", "Orchid Cosmetics",
        "Pioneer Agritech", "Quantum Print Services", "Redwood Packaging", "天津港盛物流有限公司",
        "Silverline Electronics", "Summit Outdoor Gear", "Tidewater Seafood", "Unity Health Clinics",
        "Vantage Security", "Willow Creek Dairy", "Zenith Solar Energy",
    ]
    owners = ["Wang Fang", "Liu Yang", "Chen Tao", "Emily Clark", "Zhang Wei"]
    industries = ["Retail", "Manufacturing", "Healthcare", "Transportation", "Education", "Energy",
                  "Hospitality", "Technology", "Food & Beverage"]
    places = [("Shanghai", "Shanghai"), ("Hangzhou", "Zhejiang"), ("Suzhou", "Jiangsu"),
              ("Beijing", "Beijing"), ("Tianjin", "Tianjin"), ("Guangzhou", "Guangdong"),
              ("Shenzhen", "Guangdong"), ("Chengdu", "Sichuan"), ("Wuhan", "Hubei")]
    types = ["Customer - Direct", "Customer - Channel", "Prospect", "Partner"]
    rows = []
    for i, name in enumerate(companies):
        city, state = rnd.choice(places)
        slug = re.sub(r"[^a-z]", "", name.lower())[:12] or "account%d" % i
        rows.append([
            name, "ACC-%05d" % (10001 + i), rnd.choice(owners),
            rnd.randrange(500, 90000) * 1000, rnd.choice(industries), city, state, rnd.choice(types),
            "+86 %d %04d %04d" % (rnd.choice([21, 571, 512, 10, 22, 20, 755, 28, 27]),
                                  rnd.randrange(10000), rnd.randrange(10000)),
            "www.%s.com" % slug,
            datetime.datetime(2021, 1, 4) + datetime.timedelta(days=rnd.randrange(800)),
        ])
    # The bad rows (spreadsheet row = list index + 2; the header is row 1):
    rows[6][0] = None             # row 8: empty Account Name
    rows[13][3] = "n/a"           # row 15: Annual Revenue "n/a"
    rows[21][1] = rows[2][1]      # row 23: the Account Number of row 4 again
    bad = {8: "Account Name empty", 15: "Annual Revenue is the text \"n/a\"",
           23: "Account Number %s already on row 4" % rows[2][1]}

    from openpyxl.styles import Font

    wb = new_workbook("Accounts report")
    ws = wb.active
    ws.title = "Accounts"
    ws.append(CRM_EN_HEADER)
    for c in ws[1]:
        c.font = Font(bold=True)
    for r, row in enumerate(rows, start=2):
        ws.append(row)
        ws.cell(r, 11).number_format = "yyyy-mm-dd"
        if isinstance(row[3], int):
            ws.cell(r, 4).number_format = "#,##0"
    notes = wb.create_sheet("Notes")
    for line in ["Exported from Salesforce, Accounts report \"All accounts\", 2023-05-01.",
                 "Revenue in CNY. Owners as of the export date.",
                 "客户名称保留中文全称，便于和发票抬头对应。"]:
        notes.append([line])
    wb.save(acc / "crm-export-en.xlsx")
    normalise_zip(acc / "crm-export-en.xlsx")
    return bad


CRM_ZH_HEADER = ["客户编号", "客户全称", "负责人", "年销售额(万元)", "回款金额", "账龄天数", "所属行业",
                 "所在城市", "信用等级"]


def crm_zh(acc):
    rnd = random.Random(8)
    names = ["上海明远贸易有限公司", "杭州远帆贸易有限公司", "苏州恒拓精密机械有限公司", "北京北辰科技有限公司",
             "天津港盛物流有限公司", "南京千禾食品有限公司", "广州粤海包装有限公司", "深圳前海云联科技有限公司",
             "成都蜀锦家居有限公司", "武汉江城医疗器械有限公司", "西安秦川汽配有限公司", "青岛海湾水产有限公司",
             "厦门鹭岛茶业有限公司", "重庆山城火锅连锁有限公司", "长沙湘江教育科技有限公司", "郑州中原粮油有限公司",
             "济南泉城印务有限公司", "合肥皖江新能源有限公司", "福州闽江鞋业有限公司", "昆明彩云花卉有限公司",
             "宁波甬港五金有限公司", "无锡太湖纺织有限公司", "大连星海酒店管理有限公司", "沈阳盛京重工有限公司",
             "石家庄华润医药有限公司"]
    cities = ["上海", "杭州", "苏州", "北京", "天津", "南京", "广州", "深圳", "成都", "武汉", "西安", "青岛",
              "厦门", "重庆", "长沙", "郑州", "济南", "合肥", "福州", "昆明", "宁波", "无锡", "大连", "沈阳",
              "石家庄"]
    owners = ["王芳", "刘洋", "陈涛", "李娜", "张伟"]
    industries = ["制造业", "零售", "医疗", "物流", "教育", "餐饮", "能源", "科技"]
    rows = []
    for i, name in enumerate(names):
        rows.append([
            "KH%04d" % (i + 1), name, rnd.choice(owners),
            round(rnd.uniform(80, 3000), 1),
            round(rnd.uniform(50000, 2000000), 2),
            rnd.randrange(0, 180), rnd.choice(industries), cities[i],
            rnd.choice(["AAA", "AA", "A", "B", "C"]),
        ])
    rows[5][5] = -15          # row 7: 账龄天数 negative
    rows[16][4] = "abc"       # row 18: 回款金额 is text
    bad = {7: "账龄天数 is -15 (negative)", 18: "回款金额 is the text \"abc\""}

    from openpyxl.styles import Font

    wb = new_workbook("客户台账")
    ws = wb.active
    ws.title = "客户台账"
    ws.append(CRM_ZH_HEADER)
    for c in ws[1]:
        c.font = Font(bold=True)
    for r, row in enumerate(rows, start=2):
        ws.append(row)
        ws.cell(r, 4).number_format = "0.0"
        if not isinstance(row[4], str):
            ws.cell(r, 5).number_format = "0.00"
    wb.save(acc / "crm-export-zh.xlsx")
    normalise_zip(acc / "crm-export-zh.xlsx")

    # As Excel's "CSV (逗号分隔)" saves it on a Chinese Windows: GBK, CRLF, values as displayed.
    def shown(j, v):
        if isinstance(v, float):
            return "%.1f" % v if j == 3 else "%.2f" % v
        return v

    write_csv(acc / "crm-export-zh.csv", CRM_ZH_HEADER,
              [[shown(j, v) for j, v in enumerate(row)] for row in rows], encoding="gbk")
    return bad


def unmapped(acc):
    rows = [["Müller Maschinenbau GmbH", "Anna Schmidt", 125000],
            ["Bäckerei Schäfer KG", "Jonas Weber", 48200],
            ["Nordlicht Logistik AG", "Anna Schmidt", 310500],
            ["Rheinwerk Elektro GmbH", "Lukas Becker", 97000],
            ["Alpenblick Hotels GmbH", "Jonas Weber", 156750]]
    write_csv(acc / "unmapped.csv", ["Kunde", "Verantwortlich", "Umsatz"], rows)


# ---------------------------------------------------------------------------------------------
# Checks: the words, and every file read back with a library of its format


def check_words():
    lower = {p: "\n".join(t).lower() for p, t in TEXT.items()}
    for path, kinds in WORDS.items():
        name = Path(path).name.lower()
        title = TITLE.get(path, "").lower()
        for kind, ws in kinds.items():
            for w in ws:
                lw = w.lower()
                assert lw in lower[path], f"{path}: {w} is not in its text"
                assert lw not in name, f"{path}: {w} is in its file name"
                assert lw not in title, f"{path}: {w} is in its title"
                others = [p for p, t in lower.items() if p != path and lw in t]
                assert not others, f"{path}: {w} is also in {others}"
        if kinds.get("found"):
            assert all(len(w) >= 3 for w in kinds["found"]), path


def check(rows, expected):
    import docx
    import msoffcrypto
    import openpyxl
    import pptx
    import logging

    import pypdf
    import xlrd

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # not-really.pdf is meant to fail
    from odf.opendocument import load as load_ods
    from odf.table import Table, TableCell, TableRow

    D = OUT / "documents"

    def docx_text(doc):
        parts = [p.text for p in doc.paragraphs]
        for t in doc.tables:
            for row in t.rows:
                parts.extend(c.text for c in row.cells)
        return "\n".join(parts)

    # Word
    d = docx.Document(D / "报价策略方案.docx")
    assert d.core_properties.title == "报价策略方案"
    assert d.core_properties.created.replace(tzinfo=None) == FIXED
    styles = [p.style.name for p in d.paragraphs]
    for s in ["Heading 1", "Heading 2", "List Bullet", "List Number"]:
        assert s in styles, s
    assert len(d.tables) == 1 and len(d.tables[0].rows) == 3 and len(d.tables[0].columns) == 4
    assert any(r.bold and r.text == "毛利底线" for p in d.paragraphs for r in p.runs)
    text = docx_text(d)
    for w in WORDS["documents/报价策略方案.docx"]["found"]:
        assert w in text, w
    d = docx.Document(D / "english-proposal.docx")
    assert d.core_properties.title.startswith("Proposal")
    assert "pilotfeather" in docx_text(d) and "Tablemarrow" in docx_text(d)

    # PowerPoint
    p = pptx.Presentation(D / "新员工培训课件.pptx")
    slides = list(p.slides)
    assert len(slides) == 5
    assert [s.shapes.title.text if s.shapes.title else None for s in slides][:4] == [
        "第一周：认识我们的客户", "产品与价格 Products and prices", "拜访流程 The visit", "考核 Assessment"]
    levels = {para.level for para in slides[0].placeholders[1].text_frame.paragraphs}
    assert levels == {0, 1}
    assert any(sh.has_table for sh in slides[1].shapes)
    assert "陪访计划表" in slides[1].notes_slide.notes_text_frame.text
    assert sum(1 for s in slides if s.has_notes_slide and s.notes_slide.notes_text_frame.text) == 1
    last = list(slides[4].shapes)
    assert len(last) == 1 and last[0].shape_type == pptx.enum.shapes.MSO_SHAPE_TYPE.PICTURE
    assert not any(sh.has_text_frame and sh.text_frame.text for sh in last)

    # PDF
    r = pypdf.PdfReader(D / "客户拜访复盘.pdf")
    assert len(r.pages) == 2
    page_texts = [pg.extract_text() for pg in r.pages]
    assert "ferroglyph" in page_texts[0] and "brindlecove" in page_texts[1]
    cjk_ok = "回款承诺函" in page_texts[0] and "关单预测表" in page_texts[1]
    print(f"    pypdf finds the Chinese text of 客户拜访复盘.pdf: {cjk_ok}")
    fonts = [f.get_object() for f in r.pages[0]["/Resources"]["/Font"].get_object().values()]
    cid = [f for f in fonts if f["/BaseFont"] == "/STSong-Light"]
    assert cid and cid[0]["/Encoding"] == "/UniGB-UCS2-H" and "/ToUnicode" not in cid[0]
    r = pypdf.PdfReader(D / "scanned-contract.pdf")
    assert len(r.pages) == 1
    page = r.pages[0]
    content = page.get_contents().get_data()
    ops = content.split()
    assert not {b"BT", b"Tj", b"TJ", b"'", b'"'} & set(ops), "the scan has text operators"
    assert b"Do" in ops
    res = page["/Resources"]
    assert "/XObject" in res and not res.get("/Font", {}).get_object()  # reportlab's empty /Font
    assert page.extract_text().strip() == ""
    assert not (OUT / "hostile/not-really.pdf").read_bytes().startswith(b"%PDF")
    try:
        pypdf.PdfReader(OUT / "hostile/not-really.pdf")
        raise AssertionError("not-really.pdf opened as a PDF")
    except pypdf.errors.PdfReadError:
        pass

    # Spreadsheets
    wb = openpyxl.load_workbook(D / "年度销售数据.xlsx")
    assert wb.sheetnames == ["华东", "华北"]
    ws = wb["华东"]
    assert isinstance(ws["A2"].value, datetime.datetime) and ws["A2"].value.date() == datetime.date(2023, 1, 9)
    assert ws["E2"].value == 12.3456 and repr(ws["E2"].value) == "12.3456"

    # Encodings
    html = (D / "竞品分析.html").read_bytes()
    try:
        html.decode("utf-8")
        raise AssertionError("the HTML decodes as UTF-8")
    except UnicodeDecodeError:
        pass
    assert b'<meta charset="gbk">' in html and "竞品对标表".encode("gbk") in html
    notes = (D / "会议纪要.txt").read_bytes()
    assert notes.decode("gb18030") == notes.decode("gbk") and b"\r\n" in notes
    assert "备货计划" in notes.decode("gbk")
    u16 = (D / "notes-utf16.txt").read_bytes()
    assert u16[:2] == b"\xff\xfe" and "账期延长" in u16.decode("utf-16")

    # Zips
    with zipfile.ZipFile(D / "mixed.zip") as z:
        assert z.testzip() is None
        names = z.namelist()
        assert names == sorted(names)
        assert all(i.flag_bits & 0x800 for i in z.infolist() if not i.filename.isascii())
        assert "销售资料/笔记/区域周报.md" in names
        docx.Document(io.BytesIO(z.read("销售资料/报价/报价策略方案.docx")))
    with zipfile.ZipFile(D / "gbk-names.zip") as z:
        assert z.testzip() is None
        assert all(not (i.flag_bits & 0x800) for i in z.infolist())
        # Without the flag zipfile reads names as cp437; the bytes are GBK.
        names = [i.filename.encode("cp437").decode("gbk") for i in z.infolist()]
        assert names == ["销售笔记/", "销售笔记/客户回访.md", "销售笔记/电话记录.txt"], names
        assert "回访话术" in z.read(z.infolist()[1]).decode("utf-8")
        assert "来电登记" in z.read(z.infolist()[2]).decode("gbk")

    # Hostile
    H = OUT / "hostile"
    for name in ["encrypted.docx", "corrupt.docx"]:
        try:
            docx.Document(H / name)
            raise AssertionError(f"{name} opened")
        except (docx.opc.exceptions.PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError):
            pass
    with open(H / "encrypted.docx", "rb") as f:
        office = msoffcrypto.OfficeFile(f)
        assert office.is_encrypted()
        office.load_key(password="secret")
        plain = io.BytesIO()
        office.decrypt(plain)
    assert "cipherwick" in docx_text(docx.Document(plain))
    with open(H / "encrypted.docx", "rb") as f:
        office = msoffcrypto.OfficeFile(f)
        office.load_key(password="wrong")
        try:
            office.decrypt(io.BytesIO())
            raise AssertionError("decrypted with a wrong password")
        except msoffcrypto.exceptions.InvalidKeyError:
            pass
    with zipfile.ZipFile(H / "bomb.zip") as z:
        (info,) = z.infolist()
        assert info.file_size == 1 << 30 and info.compress_size < 2 << 20
    with zipfile.ZipFile(H / "traversal.zip") as z:
        assert z.namelist() == ["../evil.md", "/abs/evil.md", "ok/fine.md"]
    with zipfile.ZipFile(H / "many-entries.zip") as z:
        assert len(z.infolist()) == 20001

    # Markdown
    M = OUT / "markdown"
    for name in MARKDOWN:
        assert (M / name).is_file()
    raw = (M / "crlf-bom.md").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf---\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    assert (M / "obsidian/pareto.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (M / "assets/diagram.png").is_file()

    # Accounts
    A = OUT / "accounts"
    import csv

    with open(A / "superstore-customers.csv", encoding="utf-8", newline="") as f:
        csv_rows = list(csv.reader(f))
    assert csv_rows[0] == SUPERSTORE_HEADER and len(csv_rows) == 794
    assert sum(Decimal(r[7]) for r in csv_rows[1:]) == Decimal(expected["sum_sales"])
    assert sum(Decimal(r[10]) for r in csv_rows[1:]) == Decimal(expected["sum_profit"])
    assert all(re.fullmatch(r"\d+\.\d{4}", r[7]) and re.fullmatch(r"-?\d+\.\d{4}", r[10])
               for r in csv_rows[1:])
    ws = openpyxl.load_workbook(A / "superstore-customers.xlsx").active
    xrows = list(ws.iter_rows(values_only=True))
    assert list(xrows[0]) == SUPERSTORE_HEADER and len(xrows) == 794
    for row, x in zip(rows, xrows[1:]):
        # A whole number (a profit of exactly 0) reads back as an int.
        assert isinstance(x[7], (int, float)) and Decimal(repr(float(x[7]))) == row["Sales"]
        assert isinstance(x[10], (int, float)) and Decimal(repr(float(x[10]))) == row["Profit"]
        assert x[1] == row["Customer Name"] and x[8] == row["Quantity"]
    sh = xlrd.open_workbook(A / "superstore-customers.xls").sheet_by_index(0)
    assert sh.nrows == 794 and sh.row_values(0) == SUPERSTORE_HEADER
    for i, row in enumerate(rows, start=1):
        assert Decimal(repr(sh.cell_value(i, 10))) == row["Profit"]
    ods = load_ods(str(A / "superstore-customers.ods"))
    trs = ods.spreadsheet.getElementsByType(Table)[0].getElementsByType(TableRow)
    assert len(trs) == 794
    cells = trs[1].getElementsByType(TableCell)
    assert Decimal(cells[7].getAttribute("value")) == rows[0]["Sales"]
    wb = openpyxl.load_workbook(A / "crm-export-en.xlsx")
    assert wb.sheetnames == ["Accounts", "Notes"]
    xrows = list(wb["Accounts"].iter_rows(values_only=True))
    assert list(xrows[0]) == CRM_EN_HEADER and len(xrows) == 31
    assert xrows[8 - 1][0] is None and xrows[15 - 1][3] == "n/a" and xrows[23 - 1][1] == xrows[4 - 1][1]
    xrows = list(openpyxl.load_workbook(A / "crm-export-zh.xlsx").active.iter_rows(values_only=True))
    assert list(xrows[0]) == CRM_ZH_HEADER and len(xrows) == 26
    assert xrows[7 - 1][5] == -15 and xrows[18 - 1][4] == "abc"
    with open(A / "crm-export-zh.csv", encoding="gbk", newline="") as f:
        zrows = list(csv.reader(f))
    assert zrows[0] == CRM_ZH_HEADER and len(zrows) == 26 and zrows[17][4] == "abc" and zrows[6][5] == "-15"
    with open(A / "unmapped.csv", encoding="utf-8", newline="") as f:
        assert len(list(csv.reader(f))) == 6


def check_readme():
    readme = OUT / "README.md"
    if not readme.exists():
        print("    (no README.md yet: its word list is not checked)")
        return
    text = readme.read_text(encoding="utf-8")
    missing = [w for kinds in WORDS.values() for ws in kinds.values() for w in ws if w not in text]
    files = [str(p.relative_to(OUT)) for p in sorted(OUT.rglob("*")) if p.is_file()]
    missing += [f for f in files if f != "README.md" and Path(f).name not in text]
    assert not missing, f"README.md does not mention: {missing}"


# ---------------------------------------------------------------------------------------------


def main():
    for sub in SUBDIRS:
        shutil.rmtree(OUT / sub, ignore_errors=True)
    for name in ["body-words.json"]:
        (OUT / name).unlink(missing_ok=True)
    docs = OUT / "documents"
    hostile_dir = OUT / "hostile"
    acc = OUT / "accounts"
    for d in [docs, hostile_dir, acc, OUT / "markdown"]:
        d.mkdir(parents=True, exist_ok=True)

    chart = png_chart()
    docx_quote_strategy(docs / "报价策略方案.docx")
    docx_english_proposal(docs / "english-proposal.docx")
    pptx_training(docs / "新员工培训课件.pptx", chart)
    pdf_visit_review(docs / "客户拜访复盘.pdf")
    pdf_scanned(docs / "scanned-contract.pdf")
    xlsx_yearly_sales(docs / "年度销售数据.xlsx")
    html_competitors(docs / "竞品分析.html")
    text_files(docs)
    zips(docs)
    hostile(hostile_dir)
    markdown(png_chart(240, 160), chart)
    rows, expected = superstore(acc)
    bad_en = crm_en(acc)
    bad_zh = crm_zh(acc)
    unmapped(acc)
    (acc / "crm-bad-rows.json").write_text(json.dumps({
        "crm-export-en.xlsx": {str(k): v for k, v in bad_en.items()},
        "crm-export-zh.xlsx": {str(k): v for k, v in bad_zh.items()},
        "crm-export-zh.csv": {str(k): v for k, v in bad_zh.items()},
    }, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (OUT / "body-words.json").write_text(
        json.dumps(dict(sorted(WORDS.items())), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    print("==> checking the distinctive words")
    check_words()
    print("==> reading every file back")
    check(rows, expected)
    check_readme()
    print("==> superstore-expected.json")
    print(json.dumps(expected, ensure_ascii=False, indent=2))
    print("==> bad rows:", bad_en, bad_zh)
    for p in sorted(OUT.rglob("*")):
        if p.is_file():
            print(f"{p.stat().st_size:>11,}  {p.relative_to(OUT)}")


if __name__ == "__main__":
    main()
