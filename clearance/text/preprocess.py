"""Text preprocessing functions, chosen in conf/preprocess by `_target_`.

A preprocessing function takes a pandas Series of texts and returns one of the
same length. Users plug in their own the same way (any importable callable).
"""

from __future__ import annotations

import html
import inspect
from collections.abc import Callable

import pandas as pd

from clearance.text.normalize import URL_PATTERN

Preprocess = Callable[[pd.Series], pd.Series]


def clean_text(texts: pd.Series, fix_encoding: bool = True, unescape_html: bool = True,
               mask_urls: bool = True, mask_mentions: bool = False, lowercase: bool = False) -> pd.Series:
    """Repair mis-decoded text (ftfy), unescape HTML entities, mask URLs and mentions.

    Masking keeps a placeholder token rather than deleting, because "a link was
    here" can itself carry signal (news tweets are often neutral).
    """
    out = texts.astype("string").fillna("")
    if fix_encoding:
        from ftfy import fix_text

        needs = out.str.contains(r"[^\x00-\x7f]", regex=True)
        out = out.copy()
        out[needs] = out[needs].map(fix_text)
    if unescape_html:
        out = out.map(html.unescape) if out.str.contains("&", regex=False).any() else out
    if mask_urls:
        out = out.str.replace(URL_PATTERN, " URL ", regex=True)
    if mask_mentions:
        out = out.str.replace(r"(?<!\w)@\w+", " @USER ", regex=True)
    if lowercase:
        out = out.str.lower()
    return out.str.replace(r"\s+", " ", regex=True).str.strip().astype(object)


def identity(texts: pd.Series) -> pd.Series:
    """No preprocessing at all."""
    return texts.astype("string").fillna("").astype(object)


def load_preprocess(spec: dict) -> Preprocess:
    """Build the configured function from `{_target_: dotted.path, **kwargs}`."""
    from hydra.errors import InstantiationException
    from hydra.utils import instantiate

    from clearance.errors import UserError

    target = spec.get("_target_")
    try:
        function = instantiate(dict(spec), _partial_=True)
        # A partial checks nothing until called: bind now so a misspelt key fails here.
        inspect.signature(function.func).bind(pd.Series([], dtype=object), *function.args, **function.keywords)
    except (InstantiationException, ImportError, AttributeError) as exc:
        raise UserError(f"preprocess._target_={target}",
                        f"cannot build the preprocessing function: {str(exc).splitlines()[0]}",
                        "name an importable function taking and returning a pandas Series of texts") from None
    except TypeError as exc:
        raise UserError(f"preprocess (_target_={target})", f"the settings do not fit the function: {exc}",
                        "check the keys under preprocess in conf/preprocess against the function's arguments") from None
    return function


def preprocess_splits(splits: dict[str, pd.DataFrame], spec: dict) -> dict[str, pd.Series]:
    """The configured preprocessing applied to every split, indexed by the source row number."""
    from clearance.errors import UserError

    preprocess = load_preprocess(spec)
    out = {}
    for name, frame in splits.items():
        texts = pd.Series(preprocess(frame["text"]), dtype=object)
        if len(texts) != len(frame):
            raise UserError(f"preprocess._target_={spec.get('_target_')}",
                            f"returned {len(texts)} texts for {len(frame)}", "return one text per input text")
        out[name] = pd.Series(texts.to_numpy(), index=frame["row"].to_numpy())
    return out
