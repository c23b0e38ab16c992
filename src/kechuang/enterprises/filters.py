"""Search, filters and sorting of the enterprise list, shared by the page, the export and the API."""

from __future__ import annotations

import re

from django import forms
from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import Exists, Func, Lookup, OuterRef, Q, QuerySet, TextField, Value
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext_lazy as _

from kechuang.carriers.models import Carrier, Residency
from kechuang.core import paging
from kechuang.core.forms import Form
from kechuang.core.models import Industry, Region
from kechuang.engine import facts

USCC_PREFIX = re.compile(r"[0-9A-Za-z]{2,18}")
SORTS = {
    "name": "name",
    "-name": "-name",
    "uscc": "uscc",
    "-uscc": "-uscc",
    "registered_on": "registered_on",
    "-registered_on": "-registered_on",
}


class NameBigrams(Func):
    """A name's two-character pieces, upper-cased: the function the GIN index of migration enterprises.0006 is built
    on (the same expression, so PostgreSQL can use that index). Written as an expression, not raw SQL, so that the
    column gets the alias of whatever query the filter ends up in (a subquery names the table u0)."""

    function = "kc_name_bigrams"
    output_field = ArrayField(TextField())


class NameChars(Func):
    """A name's characters, upper-cased: the function the GIN index of migration enterprises.0007 is built
    on (the same expression, as for NameBigrams)."""

    function = "kc_name_chars"
    output_field = ArrayField(TextField())


class NameHasPiece(Lookup):
    """`pieces @> ARRAY[UPPER(piece)]`: the set holds the piece (GIN-indexable). Upper-cased by the database, as the
    pieces and the LIKE are, not by Python, whose upper() can differ (it turns "ß" into "SS")."""

    lookup_name = "has_piece"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} @> ARRAY[UPPER({rhs})]::text[]", [*lhs_params, *rhs_params]


def filter_choices() -> dict:
    """What the filter fields offer (enterprises/_filter_fields.html): regions to county (the bureau's own, once
    its region profile is set), industries to 大类."""
    from kechuang.rules import region

    return {
        "regions": region.home_regions(Region.objects.filter(level__lte=3)).order_by("code"),
        "industries": Industry.objects.filter(level__lte=2).order_by("code"),
    }


# The GIN-indexed piece sets a fragment this short is looked up in, by its length (three and more: trigrams).
PIECES = {1: NameChars, 2: NameBigrams}


def _by_text(text: str, *, pieces: bool) -> Q:
    """Firms whose name holds `text` (any case) or whose USCC begins with it. `pieces`: also ask the GIN index of
    the name's one- or two-character pieces (PostgreSQL; migrations enterprises.0007 and 0006) for the candidates,
    the LIKE deciding; without it, a character that has no case is matched by the plain LIKE, which PostgreSQL can
    test on the name index's own entries (no upper-casing of every name walked)."""
    if pieces or text.upper() != text.lower():
        by_name = Q(name__icontains=text)
    else:
        by_name = Q(name__contains=text)
    kind = PIECES.get(len(text)) if pieces and connection.vendor == "postgresql" else None
    if kind:
        # Too short for the trigram index: the pieces' index finds the candidates, the LIKE above decides.
        by_name &= Q(NameHasPiece(kind(Cast("name", TextField())), Value(text)))
    if USCC_PREFIX.fullmatch(text):
        # Digits and capitals that could begin a USCC: also a range scan on the unique USCC index.
        return by_name | Q(uscc__startswith=text.upper())
    return by_name


class EnterpriseFilter(Form):
    q = forms.CharField(label=_("企业名称或统一社会信用代码"), required=False, max_length=100)
    region = forms.CharField(label=_("行政区划"), required=False, max_length=6)
    industry = forms.CharField(label=_("行业"), required=False, max_length=4)
    carrier = forms.ModelChoiceField(
        label=_("载体"), queryset=Carrier.objects.all(), required=False, empty_label=_("全部载体")
    )
    origin = forms.ChoiceField(
        label=_("来源"), required=False, choices=[("", _("全部来源")), *facts.ORIGIN_LABELS.items()]
    )
    sort = forms.ChoiceField(label=_("排序"), required=False, choices=[(k, k) for k in SORTS])

    def apply(self, qs: QuerySet) -> QuerySet:
        if not self.is_valid():
            return qs.none()
        data = self.cleaned_data
        qs = self._narrowed(qs, data)
        text = data["q"].strip()
        sort = SORTS.get(data.get("sort") or "name", "name")
        tie = "-pk" if sort.startswith("-") else "pk"
        if not text:
            return qs.order_by(sort, tie)
        found = qs.filter(_by_text(text, pieces=True))
        if sort != "name":
            return found.order_by(sort, tie)
        if len(text) == 1 and self._beyond_the_cap(found):
            # A character in more names than a list offers (「公」, 「科」, 「晋」): sorting them all would cost
            # seconds; the name index walked in order fills a page, the list reading only the index (core.paging,
            # keys first) and testing each name as it goes — by its LIKE alone, not its set of characters.
            return qs.filter(_by_text(text, pieces=False)).order_by(sort, tie)
        # A text search matches few rows: finding them through an index and sorting them is far cheaper than
        # walking the name index row by row, so order by an expression the planner cannot take from it.
        return found.order_by(Concat("name", Value("")), tie)

    @staticmethod
    def _narrowed(qs: QuerySet, data: dict) -> QuerySet:
        """The filters other than the text: region, industry, carrier, origin."""
        if data["region"]:
            # A city or province code matches every county below it (codes share their prefix).
            code = data["region"]
            region = Region.objects.filter(code=code).first()
            if region and region.level in (1, 2):
                prefix = code[: 2 * region.level]
                qs = qs.filter(
                    region_id__in=list(Region.objects.filter(code__startswith=prefix).values_list("code", flat=True))
                )
            else:
                qs = qs.filter(region_id=code)
        if data["industry"]:
            code = data["industry"]
            if code.isalpha():  # a section (门类) letter: its classes, without a join
                qs = qs.filter(
                    industry_id__in=list(
                        Industry.objects.filter(level=4, section=code.upper()).values_list("code", flat=True)
                    )
                )
            elif len(code) == 4:
                qs = qs.filter(industry_id=code)
            else:
                qs = qs.filter(
                    industry_id__in=list(
                        Industry.objects.filter(level=4, code__startswith=code).values_list("code", flat=True)
                    )
                )
        if data["carrier"]:
            qs = qs.filter(Exists(Residency.objects.filter(enterprise=OuterRef("pk"), carrier=data["carrier"])))
        if data["origin"]:
            qs = qs.filter(origin=data["origin"])
        return qs

    @staticmethod
    def _beyond_the_cap(qs: QuerySet) -> bool:
        """More matches than the capped list offers (core.paging), on PostgreSQL. Asked of the data rather than left
        to the planner's statistics: a character it takes for common but whose names all sort last would have it
        walk the name index through every other name first, while sorting at most the cap's names costs tens of
        milliseconds. Stops at the cap, unordered: milliseconds at a million firms."""
        return connection.vendor == "postgresql" and qs.order_by()[paging.COUNT_CAP :].exists()
