"""Chinese names, phone numbers and place names, drawn vectorised.

Everything here turns arrays of random integers into polars string Series, so a
million households cost a handful of column operations, not a million f-strings.
"""

from __future__ import annotations

import numpy as np
import polars as pl

SURNAMES: tuple[str, ...] = tuple(
    dict.fromkeys(
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
        "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
        "龚邵万钱严覃武戴莫孔向汤"
    )
)
"""Common surnames, most frequent first (drawn with Zipf-like weights)."""

GIVEN_CHARS: tuple[str, ...] = tuple(
    dict.fromkeys(
        "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红建国志文俊浩宇欣怡涵梓轩思雨晨阳"
        "佳琪雅婷嘉一诺梦海燕春梅金凤立新永德淑珍荣斌波辉鹏飞慧颖琳晓东卫红梁鑫瑞博"
    )
)
"""Characters of given names (one or two of them)."""

PLACE_WORDS: tuple[str, ...] = (
    "东城", "西湖", "南山", "北苑", "青山", "绿园", "滨江", "新华", "和平", "长安", "文化", "解放",
    "建设", "友谊", "光明", "幸福", "红旗", "胜利", "人民", "朝阳", "春华", "秋实", "金桥", "银河",
    "龙泉", "凤凰", "白云", "黄河", "清水", "翠竹", "松柏", "梅园", "兰亭", "桃源", "柳岸", "杏坛",
    "安康", "永宁", "太平", "丰收", "宏图", "锦绣", "振兴", "团结", "前进", "先锋", "东风", "五一",
    "花园", "湖滨", "江岸", "山水", "新村", "园林", "石桥", "铁路", "工农", "钢城", "纺织", "电厂",
)
"""Two-character words for districts, streets and communities."""

MOBILE_PREFIXES: tuple[str, ...] = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "177", "180", "181", "182", "185", "186", "187", "188",
    "189", "199",
)


def person_names(rng: np.random.Generator, n: int) -> pl.Series:
    """`n` plausible Chinese personal names (surname + one or two given characters)."""
    ranks = np.arange(len(SURNAMES))
    weights = 1.0 / (ranks + 4.0)
    surname = rng.choice(len(SURNAMES), size=n, p=weights / weights.sum())
    first = rng.integers(0, len(GIVEN_CHARS), size=n)
    second = rng.integers(0, len(GIVEN_CHARS), size=n)
    two = rng.random(n) < 0.7
    chars = pl.Series(GIVEN_CHARS + ("",))
    second = np.where(two, second, len(GIVEN_CHARS))
    return pl.select(
        pl.concat_str(
            pl.Series(SURNAMES).gather(surname),
            chars.gather(first),
            chars.gather(second),
        )
    ).to_series()


def phone_numbers(rng: np.random.Generator, n: int) -> pl.Series:
    """`n` eleven-digit mobile numbers (a real operator prefix + eight random digits)."""
    prefix = pl.Series(MOBILE_PREFIXES).gather(rng.integers(0, len(MOBILE_PREFIXES), size=n))
    tail = pl.Series(rng.integers(0, 100_000_000, size=n)).cast(pl.String).str.zfill(8)
    return pl.select(pl.concat_str(prefix, tail)).to_series()


def place_names(n: int, *, offset: int, suffix: str) -> pl.Series:
    """`n` distinct place names `word[+number]+suffix`, starting at word `offset`."""
    idx = pl.int_range(offset, offset + n, eager=True)
    word = pl.Series(PLACE_WORDS).gather(idx % len(PLACE_WORDS))
    lap = idx // len(PLACE_WORDS)
    number = pl.select(
        pl.when(lap > 0).then((lap + 1).cast(pl.String)).otherwise(pl.lit(""))
    ).to_series()
    return pl.select(pl.concat_str(word, number, pl.lit(suffix))).to_series()
