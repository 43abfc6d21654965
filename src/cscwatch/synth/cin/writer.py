"""Write a synthetic return as CIN census XML, optionally breaking validation rules.

The layout is the DfE collection's (``Message/Header/CollectionDetails|Source``,
``Children/Child/ChildIdentifiers|ChildCharacteristics|CINdetails/...``) with the
header's ``<SoftwareCode>`` set to ``cscwatch-synthetic`` so the reader knows the file
is synthetic. ``LAchildID`` is ``SYN`` + the LA number + the two-digit year + a
serial; UPNs carry valid check letters, the authority's LA number and serials of a
made-up school.

The text is built column-wise: every XML fragment of every record is made in one list
comprehension per element kind, tagged with a sort key (child, episode, section,
record, line), and the whole file is one ``"".join`` of the sorted fragments, so a
national set of returns (about 650,000 referrals) writes in seconds.

Injected validation errors live in :mod:`cscwatch.synth.cin.errors`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cscwatch.childlevel.pseudonym import SYNTHETIC_MARKER
from cscwatch.childlevel.upn import CHECK_ALPHABET
from cscwatch.synth.cin.simulation import NA, SyntheticReturn

__all__ = ["TextReturn", "render", "to_text", "upns"]

_Col = np.ndarray


@dataclass
class TextReturn:
    """A return as text columns (None = element absent), ready to render or mutate.

    Tables: ``child`` (one row per child, in file order), ``disability`` (``child``),
    ``episode`` (``child``), ``assessment`` / ``plan`` / ``s47`` / ``cpp``
    (``episode``), ``factor`` (``assessment``), ``review`` (``cpp``); the link columns
    are row numbers of the parent table. ``kind`` columns (episode outcome, see
    :func:`cscwatch.synth.cin.returns.synthesise`) help injectors choose records and are
    never written.
    """

    header: dict[str, str]
    year: int
    tables: dict[str, dict[str, _Col]]
    injected: list[str] = field(default_factory=list)

    def rows(self, table: str) -> int:
        """Number of rows of ``table``."""
        cols = self.tables[table]
        return len(next(iter(cols.values())))

    def append(self, table: str, **values: object) -> int:
        """Add one row (missing columns None); returns its row number."""
        cols = self.tables[table]
        n = self.rows(table)
        for name, col in cols.items():
            v = values.get(name)
            new = np.empty(n + 1, dtype=object if col.dtype == object else col.dtype)
            new[:n] = col
            new[n] = v if v is not None or col.dtype == object else -1
            cols[name] = new
        return n


def _dates(days: np.ndarray) -> np.ndarray:
    out = np.full(len(days), None, dtype=object)
    ok = days != NA
    out[ok] = np.datetime_as_string(days[ok].astype("datetime64[D]"))
    return out


#: Children numbered by serial and final digit before the school number takes over.
_WRAP = 100_000


def upns(rng: np.random.Generator, n: int, la_code: str, start: int = 0) -> np.ndarray:
    """``n`` UPNs of children ``start`` to ``start + n - 1`` of an authority's made-up school.

    13 characters: check letter, LA number, 4-digit school, 4-digit serial, final digit;
    the check letter as :func:`cscwatch.childlevel.upn.check_letter`, computed for all
    at once. Serial and final digit number the first 100,000 children (schools drawn at
    random from 2000 to 7998); from the 100,001st on, the school is 8000 + the hundred
    thousand (never drawn), so every child of an authority has its own UPN however
    many there are (a ten-year panel of a large authority passes 100,000).
    """
    i = start + np.arange(n)
    if n and i[-1] >= _WRAP * 2001:
        raise ValueError("UPN numbers run out at 200,100,000 children of one authority")
    school = rng.integers(2000, 7999, size=n)
    school = np.where(i < _WRAP, school, 7999 + i // _WRAP)
    serial = i % 10000
    last = (i // 10000) % 10
    digits = np.empty((n, 12), dtype=np.int64)
    digits[:, :3] = [int(c) for c in la_code]
    for k, (value, width) in enumerate(((school, 4), (serial, 4))):
        for w in range(width):
            digits[:, 3 + 4 * k + w] = (value // 10 ** (width - 1 - w)) % 10
    digits[:, 11] = last
    total = (digits * np.arange(2, 14)).sum(axis=1) % 23
    letters = np.array(list(CHECK_ALPHABET))[total]
    # Python ints and str format several times faster than numpy scalars.
    columns = (letters.tolist(), school.tolist(), serial.tolist(), last.tolist())
    return np.array(
        [f"{c}{la_code}{s:04d}{r:04d}{x}" for c, s, r, x in zip(*columns, strict=True)],
        dtype=object,
    )


def to_text(ret: SyntheticReturn, ids: tuple[np.ndarray, np.ndarray] | None = None) -> TextReturn:
    """Turn a simulated return into text columns in file order.

    ``ids`` gives each child's ``LAchildID`` and UPN (a linked panel keeps a child's
    identifiers from year to year); the UPN is written only for a child of school age.
    Without it, identifiers are numbered in file order.
    """
    t = ret.targets
    rng = np.random.default_rng([ret.seed, int(t.la_code), t.year, 7])
    ch, ep = ret.child, ret.episode
    n_children = len(ch["birth"])
    ep_order = np.lexsort((ep["ref"], ep["child"]))
    rank = np.empty_like(ep_order)
    rank[ep_order] = np.arange(len(ep_order))
    school = ch["school_age"]
    upn = np.full(n_children, None, dtype=object)
    if ids is None:
        upn[school] = upns(rng, int(school.sum()), t.la_code)
        la_child_id = np.array(
            [f"SYN{t.la_code}{t.year % 100:02d}{i + 1:07d}" for i in range(n_children)],
            dtype=object,
        )
    else:
        la_child_id, upn[school] = ids[0], ids[1][school]
    upn_unknown = np.full(n_children, None, dtype=object)
    upn_unknown[~school] = "UN1"
    sex = ch["sex"]
    if t.year < 2025:
        sex = np.select([sex == "M", sex == "F"], ["1", "2"], "0").astype(object)
    child = {
        "la_child_id": la_child_id,
        "upn": upn,
        "former_upn": np.full(n_children, None, dtype=object),
        "upn_unknown": upn_unknown,
        "birth": _dates(ch["birth"]),
        "sex": sex,
        "ethnicity": ch["ethnicity"],
    }
    episode = {
        "child": ep["child"][ep_order],
        "ref": _dates(ep["ref"][ep_order]),
        "source": ep["source"][ep_order],
        "need": ep["need"][ep_order],
        "close": _dates(ep["close"][ep_order]),
        "reason": ep["reason"][ep_order],
        "icpc": np.full(len(ep_order), None, dtype=object),
        "nfa": np.where(ep["nfa"][ep_order], "true", "false").astype(object),
        "kind": ep["kind"][ep_order],
    }

    def by_episode(tab: dict[str, np.ndarray], key: str) -> np.ndarray:
        return np.lexsort((tab[key], rank[tab["episode"]]))

    a = ret.assessment
    a_order = by_episode(a, "start")
    a_rank = np.empty_like(a_order)
    a_rank[a_order] = np.arange(len(a_order))
    f_order = np.lexsort((ret.factor["code"].astype(str), a_rank[ret.factor["assessment"]]))
    p = ret.plan
    p_order = by_episode(p, "start")
    s = ret.s47
    s_order = by_episode(s, "start")
    c = ret.cpp
    c_order = by_episode(c, "start")
    c_rank = np.empty_like(c_order)
    c_rank[c_order] = np.arange(len(c_order))
    r_order = np.lexsort((ret.review["date"], c_rank[ret.review["cpp"]]))
    tables = {
        "child": child,
        "disability": {"child": ret.disability["child"], "code": ret.disability["code"]},
        "episode": episode,
        "assessment": {
            "episode": rank[a["episode"][a_order]],
            "start": _dates(a["start"][a_order]),
            "auth": _dates(a["auth"][a_order]),
        },
        "factor": {
            "assessment": a_rank[ret.factor["assessment"][f_order]],
            "code": ret.factor["code"][f_order],
        },
        "plan": {
            "episode": rank[p["episode"][p_order]],
            "start": _dates(p["start"][p_order]),
            "end": _dates(p["end"][p_order]),
        },
        "s47": {
            "episode": rank[s["episode"][s_order]],
            "start": _dates(s["start"][s_order]),
            "target": _dates(s["target"][s_order]),
            "icpc": _dates(s["icpc"][s_order]),
            "not_required": np.where(s["not_required"][s_order], "true", "false").astype(object),
        },
        "cpp": {
            "episode": rank[c["episode"][c_order]],
            "start": _dates(c["start"][c_order]),
            "end": _dates(c["end"][c_order]),
            "initial": c["initial"][c_order],
            "latest": c["latest"][c_order],
            "previous": c["previous"][c_order].astype(str).astype(object),
        },
        "review": {
            "cpp": c_rank[ret.review["cpp"][r_order]],
            "date": _dates(ret.review["date"][r_order]),
        },
    }
    header = {
        "Collection": "CIN",
        "Year": str(t.year),
        "ReferenceDate": f"{t.year}-03-31",
        "SourceLevel": "L",
        "LEA": t.la_code,
        "SoftwareCode": SYNTHETIC_MARKER,
        "Release": "cscwatch synth 1",
        "SerialNo": str(ret.seed),
        "DateTime": f"{t.year}-05-01T09:00:00",
    }
    return TextReturn(header=header, year=t.year, tables=tables)


def _el(tag: str, values: np.ndarray, depth: int) -> list[str]:
    pre, post = f"{'  ' * depth}<{tag}>", f"</{tag}>\n"
    return [f"{pre}{v}{post}" if v is not None else "" for v in values]


def _join(*parts: list[str]) -> list[str]:
    return ["".join(x) for x in zip(*parts, strict=True)]


def render(text: TextReturn) -> str:
    """The XML document for ``text``."""
    T = text.tables
    h = text.header
    head = (
        '<?xml version="1.0" encoding="utf-8"?>\n<Message>\n  <Header>\n'
        "    <CollectionDetails>\n"
        f"      <Collection>{h['Collection']}</Collection>\n      <Year>{h['Year']}</Year>\n"
        f"      <ReferenceDate>{h['ReferenceDate']}</ReferenceDate>\n"
        "    </CollectionDetails>\n    <Source>\n"
        + "".join(
            f"      <{k}>{h[k]}</{k}>\n"
            for k in ("SourceLevel", "LEA", "SoftwareCode", "Release", "SerialNo", "DateTime")
        )
        + "    </Source>\n  </Header>\n  <Children>\n"
    )
    keys: list[np.ndarray] = []
    texts: list[list[str]] = []

    def add(
        child: np.ndarray,
        ep: np.ndarray,
        sec: int,
        rec: np.ndarray,
        line: np.ndarray,
        frag: list[str],
    ) -> None:
        keys.append(np.stack([child, ep, np.full(len(child), sec), rec, line]).astype(np.int64))
        texts.append(frag)

    c = T["child"]
    n = len(c["la_child_id"])
    ci = np.arange(n)
    z = np.zeros(n, dtype=np.int64)
    sex_tag = "Sex" if text.year >= 2025 else "GenderCurrent"
    add(
        ci,
        z - 2,
        0,
        z,
        z,
        _join(
            ["    <Child>\n      <ChildIdentifiers>\n"] * n,
            _el("LAchildID", c["la_child_id"], 4),
            _el("UPN", c["upn"], 4),
            _el("FormerUPN", c["former_upn"], 4),
            _el("UPNunknown", c["upn_unknown"], 4),
            _el("PersonBirthDate", c["birth"], 4),
            _el(sex_tag, c["sex"], 4),
            ["      </ChildIdentifiers>\n      <ChildCharacteristics>\n"] * n,
            _el("Ethnicity", c["ethnicity"], 4),
            ["        <Disabilities>\n"] * n,
        ),
    )
    d = T["disability"]
    nd = len(d["child"])
    add(
        d["child"],
        np.full(nd, -2),
        1,
        np.arange(nd),
        np.zeros(nd, np.int64),
        _el("Disability", d["code"], 5),
    )
    add(ci, z - 2, 2, z, z, ["        </Disabilities>\n      </ChildCharacteristics>\n"] * n)
    add(ci, z + 2**40, 0, z, z, ["    </Child>\n"] * n)

    e = T["episode"]
    ne = len(e["child"])
    ei, ez = np.arange(ne), np.zeros(ne, np.int64)
    echild = e["child"].astype(np.int64)
    add(
        echild,
        ei,
        0,
        ez,
        ez,
        _join(
            ["      <CINdetails>\n"] * ne,
            _el("CINreferralDate", e["ref"], 4),
            _el("ReferralSource", e["source"], 4),
            _el("PrimaryNeedCode", e["need"], 4),
            _el("CINclosureDate", e["close"], 4),
            _el("ReasonForClosure", e["reason"], 4),
            _el("DateOfInitialCPC", e["icpc"], 4),
        ),
    )
    add(echild, ei, 4, ez, ez, _el("ReferralNFA", e["nfa"], 4))
    add(echild, ei, 6, ez, ez, ["      </CINdetails>\n"] * ne)

    def sub(table: str, sec: int, body: list[str], line: int = 0) -> None:
        tab = T[table]
        m = len(tab["episode"])
        epi = tab["episode"].astype(np.int64)
        add(echild[epi], epi, sec, np.arange(m), np.full(m, line), body)

    a = T["assessment"]
    na = len(a["episode"])
    sub(
        "assessment",
        1,
        _join(
            ["        <Assessments>\n"] * na,
            _el("AssessmentActualStartDate", a["start"], 5),
            _el("AssessmentAuthorisationDate", a["auth"], 5),
            ["          <FactorsIdentifiedAtAssessment>\n"] * na,
        ),
    )
    sub(
        "assessment",
        1,
        ["          </FactorsIdentifiedAtAssessment>\n        </Assessments>\n"] * na,
        line=2**40,
    )
    f = T["factor"]
    nf = len(f["assessment"])
    fa = f["assessment"].astype(np.int64)
    fe = a["episode"].astype(np.int64)[fa]
    add(echild[fe], fe, 1, fa, 1 + np.arange(nf), _el("AssessmentFactors", f["code"], 6))
    p = T["plan"]
    np_ = len(p["episode"])
    sub(
        "plan",
        2,
        _join(
            ["        <CINPlanDates>\n"] * np_,
            _el("CINPlanStartDate", p["start"], 5),
            _el("CINPlanEndDate", p["end"], 5),
            ["        </CINPlanDates>\n"] * np_,
        ),
    )
    s = T["s47"]
    ns = len(s["episode"])
    sub(
        "s47",
        3,
        _join(
            ["        <Section47>\n"] * ns,
            _el("S47ActualStartDate", s["start"], 5),
            _el("InitialCPCtarget", s["target"], 5),
            _el("DateOfInitialCPC", s["icpc"], 5),
            _el("ICPCnotRequired", s["not_required"], 5),
            ["        </Section47>\n"] * ns,
        ),
    )
    k = T["cpp"]
    nk = len(k["episode"])
    sub(
        "cpp",
        5,
        _join(
            ["        <ChildProtectionPlans>\n"] * nk,
            _el("CPPstartDate", k["start"], 5),
            _el("CPPendDate", k["end"], 5),
            _el("InitialCategoryOfAbuse", k["initial"], 5),
            _el("LatestCategoryOfAbuse", k["latest"], 5),
            _el("NumberOfPreviousCPP", k["previous"], 5),
        ),
    )
    sub("cpp", 5, ["        </ChildProtectionPlans>\n"] * nk, line=2**40)
    r = T["review"]
    nr = len(r["cpp"])
    rc = r["cpp"].astype(np.int64)
    re_ = k["episode"].astype(np.int64)[rc]
    # One <Reviews> group per review (a group holds exactly one date).
    rv = _el("CPPreviewDate", r["date"], 6)
    add(
        echild[re_],
        re_,
        5,
        rc,
        1 + np.arange(nr),
        [f"          <Reviews>\n{x}          </Reviews>\n" for x in rv],
    )

    key = np.concatenate(keys, axis=1)
    frags = [x for part in texts for x in part]
    order = np.lexsort(key[::-1])
    body = "".join([frags[i] for i in order])
    return head + body + "  </Children>\n</Message>\n"
