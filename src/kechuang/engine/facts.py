"""The facts table: the canonical shape every engine reads (see shared/domain/data-dictionary.md).

One row per enterprise per fiscal year. This module is the single source of the column names, their
Chinese labels and their types; the database models, the import template, the export, the API and the
command line all derive from it. Pure Python + Polars: no Django here.

Parsing keeps "unknown" apart from zero and false: an empty cell becomes null, never 0 or False.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import polars as pl
from stdnum.cn import uscc as _uscc_std
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength, ValidationError

# Column kinds. "money" is 万元 with up to 4 decimal places; "number" is a count that may be an annual
# average (e.g. 职工总数); "int" is a whole count; "fraction" is a ratio in [0, 1].
STR, DATE, MONEY, NUMBER, INT, BOOL, ENUM, FRACTION = (
    "str",
    "date",
    "money",
    "number",
    "int",
    "bool",
    "enum",
    "fraction",
)

HIGHTECH_FIELDS = (
    "electronic_information",
    "biomedicine",
    "aerospace",
    "new_materials",
    "hightech_services",
    "new_energy",
    "resources_environment",
    "advanced_manufacturing",
)
HIGHTECH_FIELD_LABELS = {
    "electronic_information": "电子信息",
    "biomedicine": "生物与新医药",
    "aerospace": "航空航天",
    "new_materials": "新材料",
    "hightech_services": "高技术服务",
    "new_energy": "新能源与节能",
    "resources_environment": "资源与环境",
    "advanced_manufacturing": "先进制造与自动化",
}
ORIGINS = (
    "local_institution_team",
    "external_institution_team",
    "research_institute",
    "relocated",
    "local_startup",
    "other",
)
ORIGIN_LABELS = {
    "local_institution_team": "省内高校院所团队",
    "external_institution_team": "省外高校院所团队",
    "research_institute": "科研院所",
    "relocated": "迁入企业",
    "local_startup": "本地创业",
    "other": "其他",
}
RD_INSTITUTION_LEVELS = ("none", "municipal", "provincial", "national")
RD_INSTITUTION_LEVEL_LABELS = {"none": "无", "municipal": "市级", "provincial": "省级", "national": "国家级"}
# 近三年“创客中国”中小企业创新创业大赛全国企业组的最好名次（专精特新 500 强直通、小巨人 50 强直通）.
MAKER_CHINA_RANKS = ("none", "top500", "top50")
MAKER_CHINA_RANK_LABELS = {"none": "未入围", "top500": "全国500强企业组", "top50": "全国50强企业组"}
# Other accepted inputs of enum columns (short forms people type), besides the codes and the labels.
ENUM_ALIASES = {
    "rd_institution_level": {"市": "municipal", "省": "provincial", "国家": "national"},
    "maker_china_3y": {"500强": "top500", "50强": "top50", "无": "none"},
}

# Stored precision per numeric kind (money in 万元 to 4 places: 1 元).
DECIMAL_PLACES = {MONEY: 4, NUMBER: 2, FRACTION: 6}
# Money columns that may be negative (a loss).
SIGNED_MONEY = frozenset({"net_profit"})
# Magnitude limits (exclusive): what the database columns hold (enterprises/fields.py: money 18 digits with
# 4 decimals, numbers 14 with 2, ints a 32-bit integer). Larger values are typing errors.
MAX_ABS = {MONEY: Decimal("1e14"), NUMBER: Decimal("1e12"), INT: Decimal(2**31), FRACTION: Decimal("1e12")}
# A number as typed: ASCII digits, optionally grouped by thousands with "," (1,234,567.8), a decimal part and
# an exponent. "12,3" or "1_000" are typing errors, never 123 or 1000.
NUMBER_PATTERN = r"[+-]?(?:(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_NUMBER = re.compile(NUMBER_PATTERN)
_NON_FINITE = re.compile(r"[+-]?(?:s?nan|inf|infinity)", re.IGNORECASE)
# Full-width forms (１２．５, ２０２４－０１－０１), as a Chinese input method types them, are read as their ASCII
# twins in numbers and dates: a deliberate normalisation (NFKC for U+FF01–U+FF5E). Digits of other scripts
# (Arabic-Indic ٣, Devanagari ३, …) are not numbers here, though Python's int() and Decimal() would read them.
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
# Characters no fact may hold: C0 and C1 control characters and DEL (NUL breaks PostgreSQL and Excel; tabs
# and line breaks inside a name are copy errors). Leading and trailing whitespace is trimmed before the check.
CONTROL_PATTERN = r"[\x00-\x1f\x7f-\x9f]"
_CONTROL = re.compile(CONTROL_PATTERN)
# Longest text a STR fact may hold when its column does not say: the database column's size (enterprises/fields.py).
TEXT_MAX_LENGTH = 128
# How much of a bad value a message quotes.
SHOWN_CHARS = 50
# Text a spreadsheet runs as a formula when it opens a file (CWE-1236): a cell starting with = + - @, a tab or a
# carriage return. Every export writes such text after FORMULA_GUARD (see `neutralise`), unless it is a plain
# number ("-12.5": Excel reads the number it is). A text fact read back drops the guard, so that export → import
# changes nothing.
FORMULA_START = r"^[=+\-@\t\r]"
PLAIN_NUMBER = r"^[+-]?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$"
FORMULA_GUARD = "'"
GUARDED_TEXT = "^" + FORMULA_GUARD + FORMULA_START.removeprefix("^")
_FORMULA_START = re.compile(FORMULA_START)
_PLAIN_NUMBER = re.compile(PLAIN_NUMBER)

TRUE_WORDS = {"true", "1", "是", "yes", "y", "t"}
FALSE_WORDS = {"false", "0", "否", "no", "n", "f"}


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    kind: str
    static: bool = False  # identity/static attribute, repeated on every row; the latest year wins
    required: bool = False
    choices: tuple[str, ...] = ()
    group: str = ""
    max_length: int | None = None  # text: the most characters stored (TEXT_MAX_LENGTH when not given)
    bounds: tuple[int, int] | None = None  # int: the allowed range (both ends included); else ≥ 0

    @property
    def text_limit(self) -> int:
        return self.max_length or TEXT_MAX_LENGTH


def _cols(group: str, static: bool, rows: list[tuple]) -> list[Column]:
    out = []
    for row in rows:
        name, label, kind, *rest = row
        extra = rest[0] if rest else {}
        out.append(Column(name, label, kind, static=static, group=group, **extra))
    return out


IDENTITY = _cols(
    "identity",
    True,
    [
        ("uscc", "统一社会信用代码", STR, {"required": True, "max_length": 18}),
        ("name", "企业名称", STR, {"required": True, "max_length": 200}),
        ("region_code", "行政区划代码", STR),
        ("industry_code", "国民经济行业分类", STR),
        ("registered_on", "成立日期", DATE),
        ("paid_in_capital", "实缴资本", MONEY),
        ("hightech_field", "国家重点支持的高新技术领域", ENUM, {"choices": HIGHTECH_FIELDS}),
        ("strategic_emerging", "属于战略性新兴产业", BOOL),
        ("niche_since", "从事细分市场起始日期", DATE),
        ("listed", "已上市", BOOL),
        ("valuation", "最近估值", MONEY),
        ("origin", "来源", ENUM, {"choices": ORIGINS}),
        ("origin_institution", "来源高校院所", STR),
    ],
)

ANNUAL = _cols(
    "annual",
    False,
    [
        ("year", "年度", INT, {"required": True, "bounds": (1900, 2100)}),
        ("staff_total", "职工总数", NUMBER),
        ("tech_staff", "科技人员数", NUMBER),
        ("rd_staff", "研发人员数", NUMBER),
        ("postgrad_staff", "研究生及以上学历人数", NUMBER),
        ("new_graduates", "吸纳应届毕业生人数", INT),
        ("revenue", "营业收入", MONEY),
        ("total_income", "收入总额", MONEY),
        ("nontaxable_income", "不征税收入", MONEY),
        ("main_revenue", "主营业务收入", MONEY),
        ("hightech_revenue", "高新技术产品(服务)收入", MONEY),
        ("total_cost_expense", "成本费用总额", MONEY),
        ("rd_expense", "研发费用", MONEY),
        ("rd_expense_domestic", "境内研发费用", MONEY),
        ("rd_tax_relief", "研发费用加计扣除减免税额", MONEY),
        ("net_profit", "净利润", MONEY),
        ("total_assets", "资产总额", MONEY),
        ("total_liabilities", "负债总额", MONEY),
        ("equity_financing", "当年新增股权融资额", MONEY),
        ("pre_a_investment", "A轮（含）前累计获得中基协备案机构投资额", MONEY),
        ("tech_contract_amount", "技术合同成交额", MONEY),
        ("conversions", "科技成果转化项数", INT),
        ("invention_applications", "发明专利申请量", INT),
        ("pct_applications", "PCT专利申请量", INT),
        ("new_platforms_provincial", "新承担省级及以上研发/创新平台数", INT),
        ("awards_provincial", "获省级及以上科技奖励数", INT),
    ],
)

IP = _cols(
    "ip",
    False,
    [
        ("invention_patents", "发明专利", INT),
        ("plant_varieties", "植物新品种", INT),
        ("new_drugs", "国家新药", INT),
        ("tcm_protected", "国家一级中药保护品种", INT),
        ("ic_layouts", "集成电路布图设计专有权", INT),
        ("utility_models", "实用新型专利", INT),
        ("design_patents", "外观设计专利", INT),
        ("software_copyrights", "软件著作权", INT),
        ("class1_self_developed", "其中自主研发获得的Ⅰ类", INT),
        ("class1_high_value", "其中高价值Ⅰ类", INT),
        ("class1_ip_applied", "其中与主导产品相关、已实际应用并产生经济效益的Ⅰ类", INT),
    ],
)

QUALIFICATIONS = _cols(
    "qualifications",
    False,
    [
        ("hte_certified", "持有效高新技术企业证书", BOOL),
        ("hte_certified_on", "高企证书发证日期", DATE),
        ("hte_annual_report_filed", "已按期（次年5月底前）填报本年度高企年度发展情况报表", BOOL),
        ("tech_sme_registered", "持有效期内科技型中小企业入库登记编号", BOOL),
        ("innovative_sme_on", "创新型（科技和创新型）中小企业称号认定日期", DATE),
        ("specialized_sme_on", "专精特新中小企业称号认定日期", DATE),
        ("little_giant_on", "专精特新“小巨人”企业称号认定日期", DATE),
        ("innovation_title_other", "持有效期内国家级技术创新示范企业、知识产权优势或示范企业称号", BOOL),
        ("hightech_firm", "属于高科技企业（不限于持高企证书）", BOOL),
        ("rd_institution_level", "研发机构级别", ENUM, {"choices": RD_INSTITUTION_LEVELS}),
        ("rd_institution_own", "自建或与高校院所联合建立研发机构", BOOL),
        ("national_award_5y_top3", "近5年获国家级科技奖励且排名前三", BOOL),
        ("provincial_award_3y", "近3年获省级及以上科技奖励", BOOL),
        ("award_3y_provincial_top3", "近3年获省级科技奖励且排名前三", BOOL),
        ("award_3y_national_top5", "近3年获国家级科技奖励且排名前五", BOOL),
        ("award_3y_national_top3", "近3年获国家级科技奖励且排名前三", BOOL),
        ("maker_china_3y", "近3年“创客中国”大赛全国企业组最好名次", ENUM, {"choices": MAKER_CHINA_RANKS}),
        ("led_standard_5y", "近5年主导制定国际/国家/行业标准", BOOL),
        ("standard_drafted", "参与编制国家标准、行业标准、检测方法或技术规范", BOOL),
        ("digitalization_level", "数字化水平等级", INT, {"bounds": (1, 4)}),
        ("core_business_it_system", "至少1项核心业务采用信息系统支撑", BOOL),
        ("quality_certified", "通过质量管理体系认证", BOOL),
        ("quality_award", "获得省级以上质量奖荣誉", BOOL),
        ("management_certified", "取得其他管理体系认证（环境、职业健康安全等）", BOOL),
        ("product_intl_certified", "产品通过发达国家和地区产品认证", BOOL),
        ("own_brand", "拥有自主品牌", BOOL),
        ("niche_market_share", "细分市场占有率", FRACTION),
        ("niche_top3", "主导产品国内细分市场排名前三", BOOL),
        ("niche_leading", "主导产品细分市场占有率位居前列", BOOL),
        ("chain_key_link", "位于产业链关键环节（补短板、锻长板、填空白）", BOOL),
        ("key_field_product", "主导产品属于重点领域（工业“六基”、制造强国或网络强国重点领域等）", BOOL),
        ("sme_dev_score", "中小企业专精特新发展评价得分", NUMBER),
        ("private_equity_raised", "获得过私募股权投资", BOOL),
        ("valley_resident", "入驻晋创谷等创新谷区", BOOL),
        ("relocated_on", "迁入本地日期", DATE),
        ("procurement_amount", "当年签订的产品预约采购协议金额", MONEY),
        ("procurement_sales", "当年预约采购产品成交额", MONEY),
    ],
)

COMPLIANCE = _cols(
    "compliance",
    False,
    [
        ("major_accident", "发生重大安全或重大质量事故", BOOL),
        ("env_violation", "严重环境违法行为", BOOL),
        ("research_misconduct", "科研严重失信", BOOL),
        ("abnormal_listed", "列入经营异常名录", BOOL),
        ("dishonest_listed", "列入严重违法失信名单", BOOL),
        ("data_security_incident", "发生重大网络安全或数据安全事件", BOOL),
        ("tax_evasion", "存在偷漏税等违法违规行为", BOOL),
        ("restricted_products", "产品（服务）属于国家禁止、限制或淘汰类", BOOL),
    ],
)

# What a firm pays that a policy refunds a share of, declared with its yearly figures (the figures form and the
# import template): the platform holds no record of them (loan interest is also read from the loan records of
# the finance app, which win where they exist; see policies/loaders.py).
DECLARED = _cols(
    "declared",
    False,
    [
        ("loan_interest_paid", "当年实际支付的贷款利息", MONEY),
        ("rent_paid", "当年实际缴纳的房租", MONEY),
    ],
)

COLUMNS: tuple[Column, ...] = tuple(IDENTITY + ANNUAL + IP + QUALIFICATIONS + COMPLIANCE + DECLARED)
BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
BY_LABEL: dict[str, Column] = {c.label: c for c in COLUMNS}
STATIC_NAMES = tuple(c.name for c in COLUMNS if c.static)
# Per-year columns, without the key column `year`.
ANNUAL_NAMES = tuple(c.name for c in COLUMNS if not c.static and c.name != "year")
REQUIRED_NAMES = tuple(c.name for c in COLUMNS if c.required)
KEY = ("uscc", "year")

_POLARS_TYPES = {
    STR: pl.Utf8,
    DATE: pl.Date,
    MONEY: pl.Float64,
    NUMBER: pl.Float64,
    INT: pl.Int64,
    BOOL: pl.Boolean,
    ENUM: pl.Utf8,
    FRACTION: pl.Float64,
}


def polars_schema(columns: tuple[Column, ...] = COLUMNS) -> dict[str, pl.DataType]:
    """Polars dtypes of the facts table, as engines receive it (money as Float64)."""
    return {c.name: _POLARS_TYPES[c.kind] for c in columns}


def empty_frame() -> pl.DataFrame:
    return pl.DataFrame(schema=polars_schema())


class CellError(ValueError):
    """A cell that cannot be read as its column's type; `message` is Chinese and shown to users."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def parse_value(column: Column, raw):  # noqa: C901
    """Parse one cell for `column`. Empty → None (unknown). Raises CellError with a Chinese message.

    Money comes back as Decimal (exact), numbers as Decimal, ints as int, dates as date. A message quotes at
    most SHOWN_CHARS characters of the value, control characters made visible (see `shown`).
    """
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = raw.strip()
        if raw == "":
            return None
    kind = column.kind
    q = shown(raw)
    if kind == STR:
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        if column.name == "uscc":
            return _check_uscc(str(raw))
        return _check_text(column, _unguarded(str(raw).strip()))
    if kind == ENUM:
        value = str(raw).strip()
        if value not in column.choices:
            inputs = enum_inputs(column)
            if value in inputs:
                return inputs[value]
            labels = enum_labels(column)
            allowed = "、".join(f"{labels[c]}（{c}）" if c in labels else c for c in column.choices)
            raise CellError(f"取值“{q}”不在允许范围内：{allowed}")
        return value
    if kind == BOOL:
        if isinstance(raw, bool):
            return raw
        word = str(raw).strip().lower()
        if isinstance(raw, (int, float)) and raw in (0, 1):
            return bool(raw)
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise CellError(f"“{q}”不是有效的是/否值（可填 是/否、true/false、1/0）")
    if kind == DATE:
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        text = str(raw).strip().translate(_HALF_WIDTH).replace("/", "-")
        try:
            if not text.isascii():
                raise ValueError(text)
            return dt.date.fromisoformat(text)
        except ValueError:
            raise CellError(f"“{q}”不是有效日期，请使用 YYYY-MM-DD 格式") from None
    # numeric kinds
    if isinstance(raw, bool):
        raise CellError(f"“{q}”不是数字")
    number = _number(raw)
    limit = MAX_ABS[kind]
    if abs(number) >= limit:
        raise CellError(f"“{q}”不是有效数字（数值过大，绝对值应小于 {limit:f}）")
    if kind == INT:
        if number != number.to_integral_value():
            raise CellError(f"“{q}”应为整数")
        value = int(number)
        if column.bounds:
            low, high = column.bounds
            if not low <= value <= high:
                raise CellError(f"{column.label}“{q}”超出合理范围（{low}–{high}）")
        elif value < 0:
            raise CellError(f"“{q}”不能为负数")
        return value
    if kind == FRACTION:
        if not Decimal(0) <= number <= Decimal(1):
            raise CellError(f"“{q}”应为 0 到 1 之间的比例（如 0.05 表示 5%）")
        return _check_places(q, number, DECIMAL_PLACES[FRACTION])
    if kind == MONEY:
        if column.name not in SIGNED_MONEY and number < 0:
            raise CellError(f"“{q}”不能为负数")
        return _check_places(q, number, DECIMAL_PLACES[MONEY])
    if number < 0:
        raise CellError(f"“{q}”不能为负数")
    return _check_places(q, number, DECIMAL_PLACES[NUMBER])


def neutralise(text: str) -> str:
    """Text as an export writes it: FORMULA_GUARD before text a spreadsheet would run as a formula."""
    if _FORMULA_START.match(text) and not _PLAIN_NUMBER.match(text):
        return FORMULA_GUARD + text
    return text


def _unguarded(text: str) -> str:
    """Text as an export neutralised it, read back: without the guard."""
    rest = text.removeprefix(FORMULA_GUARD)
    return rest if rest != text and _FORMULA_START.match(rest) else text


def compact_uscc(text: str) -> str:
    """A USCC as stored: without spaces and hyphens, upper case (a lower-case code is the same firm)."""
    return _USCC_NOISE.sub("", text).upper()


def _check_uscc(text: str) -> str:
    code = compact_uscc(text)
    problem = uscc_problem(code)
    if problem:
        raise CellError(problem)
    return code


def _check_text(column: Column, text: str) -> str:
    bad = _CONTROL.search(text)
    if bad:
        code = f"U+{ord(bad.group()):04X}"
        raise CellError(f"含有控制字符（第 {bad.start() + 1} 个字符，{code}），请删除后重新填写")
    if len(text) > column.text_limit:
        raise CellError(f"长度为 {len(text)} 个字符，超过上限 {column.text_limit} 个字符")
    return text


def visible(text: str) -> str:
    """Text with its control characters as their visible pictures (NUL → ␀), nothing cut: what a report may
    store (PostgreSQL refuses NUL in text and JSON) and a user can read."""
    return _CONTROL.sub(_picture, text)


def shown(value, limit: int = SHOWN_CHARS) -> str:
    """A value as a message may quote it: control characters as their visible pictures (NUL → ␀, tab → ␉),
    cut to `limit` characters with "…" (a 200,000-character cell is not repeated in a message)."""
    text = "" if value is None else str(value)
    if len(text) > limit:
        text = text[:limit] + "…"
    return _CONTROL.sub(_picture, text)


def _picture(match: re.Match) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)
    return "\u2421" if code == 0x7F else "\ufffd"


def _number(raw) -> Decimal:
    """A numeric cell as Decimal (thousands separators only in groups of three); CellError otherwise."""
    text = str(raw).strip().translate(_HALF_WIDTH)
    q = shown(raw)
    if not _NUMBER.fullmatch(text):
        if _NON_FINITE.fullmatch(text):
            raise CellError(f"“{q}”不是有效数字")
        if "," in text and _NUMBER.fullmatch(text.replace(",", "")):
            raise CellError(f"“{q}”不是有效数字：千位分隔符“,”只能每三位一组（如 1,234,567.8）")
        if any(ch.isdigit() and not ch.isascii() for ch in text):
            raise CellError(f"“{q}”不是数字：请使用 0–9 的数字")
        raise CellError(f"“{q}”不是数字")
    try:
        number = Decimal(text.replace(",", ""))
    except InvalidOperation:  # not reached for text matching NUMBER_PATTERN; kept as a guard
        raise CellError(f"“{q}”不是数字") from None
    if not number.is_finite():
        raise CellError(f"“{q}”不是有效数字")
    return number


def _check_places(q: str, number: Decimal, places: int) -> Decimal:
    try:
        exact = number == number.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:  # beyond the decimal context's precision
        raise CellError(f"“{q}”不是有效数字") from None
    if not exact:
        raise CellError(f"“{q}”小数位数过多（最多 {places} 位小数）")
    return number


def enum_labels(column: Column) -> dict[str, str]:
    """Chinese labels of an enum column's values (accepted on import, written on export)."""
    return {
        "hightech_field": HIGHTECH_FIELD_LABELS,
        "origin": ORIGIN_LABELS,
        "rd_institution_level": RD_INSTITUTION_LEVEL_LABELS,
        "maker_china_3y": MAKER_CHINA_RANK_LABELS,
    }.get(column.name, {})


def enum_inputs(column: Column) -> dict[str, str]:
    """Accepted inputs of an enum column other than its codes: the Chinese labels and short forms → code."""
    inputs = {label: code for code, label in enum_labels(column).items()}
    inputs.update(ENUM_ALIASES.get(column.name, {}))
    return inputs


# 统一社会信用代码 (GB 32100-2015): 18 characters, the last a check character over the first 17.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_PATTERN = r"[0-9]{8}[0-9A-HJ-NPQRTUWXY]{10}"
_USCC_NOISE = re.compile(r"[ \-]")


def uscc_problem(value: str) -> str | None:
    """A Chinese message for an invalid 统一社会信用代码, or None when it is valid."""
    try:
        _uscc_std.validate(value)
    except InvalidLength:
        return "统一社会信用代码应为18位"
    except InvalidChecksum:
        return "统一社会信用代码校验位错误"
    except InvalidFormat:
        return "统一社会信用代码格式错误（含非法字符或登记管理部门代码无效）"
    except ValidationError:
        return "统一社会信用代码无效"
    return None


_UNIT_SUFFIX = re.compile(r"[（(][^()（）]*[)）]$")


def header_to_column(header: str) -> Column | None:
    """Map a header cell, Chinese label or English name, to its column (case- and space-insensitive)."""
    text = str(header or "").strip()
    if text in BY_NAME:
        return BY_NAME[text]
    if text.lower() in BY_NAME:
        return BY_NAME[text.lower()]
    if text in BY_LABEL:
        return BY_LABEL[text]
    # "营业收入(万元)" and "营业收入（万元）" carry the unit in trailing brackets; compare without it.
    base = _UNIT_SUFFIX.sub("", text).strip()
    return BY_LABEL.get(base)


def header_label(column: Column) -> str:
    """Header used in templates and exports: the Chinese label, with the unit for money."""
    return f"{column.label}(万元)" if column.kind == MONEY else column.label
