"""Chinese labels for condition ids (rules-reference.md), outcomes and routes; field labels come from the engine."""

CONDITIONS = {
    "size_limits": "规模（职工≤500人、收入与资产≤2亿元）",
    "industry_allowed": "不属于负面清单行业",
    "compliance": "无重大事故、违法失信",
    "score_threshold": "综合评分达标",
    "tech_staff_nonzero": "科技人员指标不为零分",
    "direct_hte": "直通：有效高企证书",
    "direct_award": "直通：国家级科技奖励",
    "direct_rd_institution": "直通：省级以上研发机构",
    "direct_standard": "直通：主导制定标准",
    "age_1y": "注册满一年",
    "ip_core": "拥有核心知识产权",
    "field": "属于国家重点支持的高新技术领域",
    "tech_staff_ratio": "科技人员占比≥10%",
    "rd_ratio_3y": "近三年研发费用占比达标",
    "rd_domestic_share": "境内研发费用占比≥60%",
    "hightech_revenue_share": "高新技术产品收入占比≥60%",
    "innovation_score": "创新能力评价>70分",
    "sme_size": "属于中小企业",
    "innovation_min": "创新能力得分≥20",
    "growth_min": "成长性得分≥15",
    "specialization_min": "专业化得分≥15",
    "direct_title": "直通：有效高企等称号",
    "direct_financing": "直通：近三年股权融资≥500万元",
    "niche_2y": "从事细分市场≥2年",
    "rd_min": "研发费用≥100万元且占比≥3%",
    "revenue_or_financing": "营业收入≥1000万元或融资≥2000万元",
    "score_or_direct": "评分≥60分或满足直通条件",
    "niche_3y": "从事细分市场≥3年",
    "main_share_70": "主营业务收入占比≥70%",
    "main_growth_5": "主营收入两年平均增长≥5%",
    "debt_70": "资产负债率≤70%",
    "market_share_10": "细分市场占有率≥10%",
    "class1_ip_2": "Ⅰ类知识产权≥2项",
    "rd_by_revenue": "研发投入按营收规模达标",
    "certificate_valid": "直通：高企证书在有效期内",
    "high_tech_certified": "持有效高企证书",
    "growth_path": "基期营收与三年复合增长率达标",
    "yoy_path": "营收规模与上年增长率达标",
    "young_large": "成立≤5年且营收超过规定规模",
    "decade_large": "成立≤10年且营收超过规定规模",
    "revenue_floor": "营业收入达到起评规模",
    "growth_2y": "营收或净利润两年复合增长率达标",
    "unlisted": "未上市",
    "young_path": "成立≤5年且估值达标",
    "older_path": "成立5–9年且估值达标",
    "age_10y": "成立≤10年",
    "valuation": "估值超过10亿美元",
}
QUALIFIED = {"true": "达标", "false": "未达标", "unknown": "待定"}
ROUTES = {"score": "评分", "direct": "直通", "conditions": "条件"}


def conditions_text(ids: str | None) -> str:
    """`;`-joined condition ids (a "failed" list) as Chinese labels."""
    return "；".join(CONDITIONS.get(c, c) for c in (ids or "").split(";") if c)
