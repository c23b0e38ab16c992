"""Reference code lists: GB/T 2260 regions and GB/T 4754-2017 industries (kechuang.reference.load)."""

from __future__ import annotations

import json

import pytest

from kechuang.reference.load import (
    INDUSTRIES_JSON,
    SHARED_INDUSTRIES,
    county_codes,
    industry_names,
    load_industries,
    load_regions,
)

needs_shared = pytest.mark.skipif(
    not SHARED_INDUSTRIES.is_file(),
    reason=f"shared GB/T 4754 list not found at {SHARED_INDUSTRIES} (../shared is absent on a fresh clone)",
)

TAIYUAN = {
    "140105": "小店区",
    "140106": "迎泽区",
    "140107": "杏花岭区",
    "140108": "尖草坪区",
    "140109": "万柏林区",
    "140110": "晋源区",
    "140121": "清徐县",
    "140122": "阳曲县",
    "140123": "娄烦县",
    "140181": "古交市",
}
TAIZHOU = {
    "321202": "海陵区",
    "321203": "高港区",
    "321204": "姜堰区",
    "321281": "兴化市",
    "321282": "靖江市",
    "321283": "泰兴市",
}


@pytest.fixture(scope="module")
def regions():
    return {r["code"]: r for r in load_regions()}


def test_region_rows_have_the_shape_the_loader_promises(regions):
    for code, row in regions.items():
        assert set(row) == {"code", "name", "level", "parent"}
        assert len(code) == 6 and code.isdigit()
    assert len(regions) == len(load_regions())  # codes are unique


def test_taiyuan_is_complete_with_real_names(regions):
    for code, name in TAIYUAN.items():
        assert regions[code] == {"code": code, "name": name, "level": 3, "parent": "140100"}
    assert sorted(c for c, r in regions.items() if r["parent"] == "140100") == sorted(TAIYUAN)
    assert regions["140100"] == {"code": "140100", "name": "太原市", "level": 2, "parent": "140000"}
    assert regions["140000"] == {"code": "140000", "name": "山西省", "level": 1, "parent": None}


def test_shanxi_has_its_eleven_cities_and_key_districts(regions):
    cities = sorted(c for c, r in regions.items() if r["parent"] == "140000")
    assert cities == [f"14{i:02d}00" for i in range(1, 12)]
    assert regions["140802"]["name"] == "盐湖区" and regions["140802"]["parent"] == "140800"
    assert regions["140703"]["name"] == "太谷区"
    assert len([c for c, r in regions.items() if r["parent"] == "140700"]) == 11  # 晋中
    assert len([c for c, r in regions.items() if r["parent"] == "140800"]) == 13  # 运城


def test_taizhou_districts(regions):
    assert regions["320000"]["name"] == "江苏省"
    assert regions["321200"] == {"code": "321200", "name": "泰州市", "level": 2, "parent": "320000"}
    for code, name in TAIZHOU.items():
        assert regions[code]["name"] == name and regions[code]["parent"] == "321200"


def test_hierarchy_is_consistent(regions):
    for code, row in regions.items():
        if row["level"] == 3:
            assert row["parent"] == code[:4] + "00" and regions[row["parent"]]["level"] == 2
        elif row["level"] == 2:
            assert row["parent"] == code[:2] + "0000" and regions[row["parent"]]["level"] == 1
    assert "140105" in county_codes() and "140100" not in county_codes()


def test_curated_industries_structure():
    rows = load_industries(INDUSTRIES_JSON)
    by_level = {lvl: [r for r in rows if r["level"] == lvl] for lvl in (1, 2, 3, 4)}
    assert len(by_level[1]) == 20 and len(by_level[2]) == 97 and by_level[3] == []
    assert 60 <= len(by_level[4]) <= 120
    codes = {r["code"]: r for r in rows}
    assert codes["C"] == {"code": "C", "name": "制造业", "level": 1, "parent": None}
    assert codes["39"]["parent"] == "C"
    assert codes["3973"] == {"code": "3973", "name": "集成电路制造", "level": 4, "parent": "39"}
    for r in by_level[4]:
        assert len(r["code"]) == 4 and r["code"].isdigit() and codes[r["parent"]]["level"] == 2


def test_curated_file_is_not_a_copy_of_the_shared_format():
    text = INDUSTRIES_JSON.read_text(encoding="utf-8")
    assert set(json.loads(text)) >= {"sections", "classes"} and "remark" not in text


@needs_shared
def test_curated_codes_and_names_match_the_standard():
    full = {r["code"]: r for r in load_industries(SHARED_INDUSTRIES)}
    for r in load_industries(INDUSTRIES_JSON):
        assert r["code"] in full, r
        assert (full[r["code"]]["name"], full[r["code"]]["level"]) == (r["name"], r["level"])


@needs_shared
def test_full_list_is_preferred_and_has_group_parents():
    rows = load_industries()
    assert len(rows) == 1772
    codes = {r["code"]: r for r in rows}
    assert codes["3741"] == {"code": "3741", "name": "飞机制造", "level": 4, "parent": "374"}
    assert codes["374"]["parent"] == "37" and codes["37"]["parent"] == "C" and codes["C"]["parent"] is None
    assert codes["16"]["name"] == "烟草制品业"  # upstream trailing space stripped
    assert industry_names(level=1)["M"] == "科学研究和技术服务业"
