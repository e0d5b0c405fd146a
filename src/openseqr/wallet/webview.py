"""The app's embedded browser, without JavaScript: load service pages and find the payment trigger.

What a page can do to start the payment (see docs/service-authors.md):

(a) link      `<a href="seqr://SEQR.SE/R<ref>">` (also `seqr-demo://`, `seqr-debug://`)
(b) redirect  HTTP 3xx `Location: seqr://SEQR.SE/R<ref>`, or
              `<meta http-equiv="refresh" content="0; url=seqr://SEQR.SE/R<ref>">`
(c) order form (the hook for pages that need JavaScript) `<form data-seqr-order …>`: the wallet
              submits it like a browser, with the TOKEN in the field named by `data-seqr-token`
              (default `token`); the answer is a redirect, a page, or JSON `{"trigger": "…"}`.

`SEQR-ACTION://WIZARD/CANCEL` in any of these places leaves the service.
Redirects and refreshes to ordinary http(s) URLs are followed; fragments are never sent to the
server — the page's `location.hash` is kept by the web view (and survives a redirect whose
Location has no fragment, as in a browser).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from typing import Literal
from urllib.parse import urldefrag, urlencode, urljoin, urlsplit, urlunsplit

import httpx

from ..protocol import urls
from . import errors as we

Code = urls.PaymentTrigger | urls.WizardCancel
MAX_HOPS = 10
MAX_PAGE_BYTES = 2 * 1024 * 1024
ACCEPT = "text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8"
_REDIRECTS = (301, 302, 303, 307, 308)
_REFRESH_RE = re.compile(
    r"""^\s*(\d+(?:\.\d*)?)?\s*(?:[;,]\s*(?:url\s*=\s*)?(.*))?$""", re.I | re.S
)


def classify(href: str | None) -> Code | None:
    """A payment deep link or the wizard-cancel action, else None (ordinary URL or junk)."""
    if not href:
        return None
    try:
        code = urls.parse_code(href.strip())
    except urls.InvalidCode:
        return None
    return code if isinstance(code, urls.PaymentTrigger | urls.WizardCancel) else None


def _join(base: str, href: str) -> str:
    href = href.strip()
    return href if classify(href) is not None else urljoin(base, href)


# --------------------------------------------------------------------------------- the page


@dataclass(frozen=True)
class Choice:
    """Something the user can tap on a service page that the wallet understands."""

    kind: Literal["link", "form"]
    label: str
    url: str  # link target, or the form's absolute action URL
    method: str = "GET"
    fields: tuple[tuple[str, str], ...] = ()
    token_field: str | None = None  # forms: where the TOKEN goes
    code: Code | None = None  # links: the trigger

    @property
    def is_cancel(self) -> bool:
        return isinstance(self.code, urls.WizardCancel)

    @property
    def field_dict(self) -> dict[str, str]:
        return dict(self.fields)

    def fill(self, **values: str) -> Choice:
        """A form with some fields set (e.g. the product the user picks)."""
        fields = [(k, values.pop(k)) if k in values else (k, v) for k, v in self.fields]
        fields += list(values.items())
        return replace(self, fields=tuple(fields))


@dataclass(frozen=True)
class Page:
    """A loaded page. `url` never has a fragment; `hash` is `location.hash` without `#`."""

    url: str
    hash: str
    status_code: int
    content_type: str
    text: str
    choices: tuple[Choice, ...] = ()
    refresh: tuple[float, str] | None = None  # (delay seconds, absolute target)
    json_trigger: str | None = None

    @property
    def location(self) -> str:
        return f"{self.url}#{self.hash}" if self.hash else self.url

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 300


@dataclass(frozen=True)
class Visit:
    method: str
    url: str  # as the web view's location bar shows it, fragment included
    status_code: int | None


@dataclass
class _Form:
    action: str
    method: str
    token_field: str
    label: str | None
    fields: list[tuple[str, str]] = field(default_factory=list)
    button: str | None = None


@dataclass
class _Select:
    name: str
    options: list[str] = field(default_factory=list)
    selected: str | None = None


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.items: list[
            tuple[str, tuple[str, str] | _Form]
        ] = []  # ("link", (href, text)) | ("form", _Form)
        self.refresh: tuple[float, str] | None = None
        self._a: list[str] | None = None
        self._a_href = ""
        self._form: _Form | None = None
        self._select: _Select | None = None
        self._option: list[str] | None = None
        self._option_value: str | None = None
        self._option_selected = False
        self._textarea: tuple[str, list[str]] | None = None
        self._button: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "base" and self.base is None and a.get("href"):
            self.base = a["href"]
        elif tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            m = _REFRESH_RE.match(a.get("content", ""))
            if m and m.group(2) and self.refresh is None:
                target = m.group(2).strip().strip("'\"").strip()
                if target:
                    self.refresh = (float(m.group(1) or 0), target)
        elif tag in ("a", "area") and "href" in a:
            if tag == "area":
                self.items.append(("link", (a["href"], a.get("alt", ""))))
            else:
                self._a, self._a_href = [], a["href"]
        elif tag == "form" and "data-seqr-order" in a:
            self._form = _Form(
                action=a.get("action", ""),
                method=(a.get("method") or "get").upper(),
                token_field=a.get("data-seqr-token") or "token",
                label=a.get("data-seqr-label") or None,
            )
            self.items.append(("form", self._form))
        elif self._form is not None and "disabled" not in a:
            self._form_control(self._form, tag, a)

    def _form_control(self, form: _Form, tag: str, a: dict[str, str]) -> None:
        name = a.get("name", "")
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "image", "button", "reset", "file"):
                if kind == "submit" and form.button is None:
                    form.button = a.get("value") or "Submit"
                return
            if not name:
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    form.fields.append((name, a.get("value", "on")))
                return
            form.fields.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select = _Select(name)
        elif tag == "option" and self._select is not None:
            self._option, self._option_value = [], a.get("value")
            self._option_selected = "selected" in a
        elif tag == "textarea" and name:
            self._textarea = (name, [])
        elif tag == "button" and a.get("type", "submit").lower() == "submit":
            self._button = []

    def _end_option(self) -> None:
        if self._option is None or self._select is None:
            return
        text = " ".join("".join(self._option).split())
        value = self._option_value if self._option_value is not None else text
        self._select.options.append(value)
        if self._option_selected and self._select.selected is None:
            self._select.selected = value
        self._option = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._a is not None:
            self.items.append(("link", (self._a_href, " ".join("".join(self._a).split()))))
            self._a = None
        elif tag == "option":
            self._end_option()
        elif tag == "select" and self._select is not None:
            self._end_option()
            options = self._select.options
            value = self._select.selected or (options[0] if options else None)
            if value is not None and self._form is not None:
                self._form.fields.append((self._select.name, value))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            if self._form is not None:
                self._form.fields.append((self._textarea[0], "".join(self._textarea[1])))
            self._textarea = None
        elif tag == "button" and self._button is not None:
            if self._form is not None and self._form.button is None:
                self._form.button = " ".join("".join(self._button).split()) or "Submit"
            self._button = None
        elif tag == "form":
            self._form = None

    def handle_data(self, data: str) -> None:
        for sink in (self._a, self._option, self._button):
            if sink is not None:
                sink.append(data)
        if self._textarea is not None:
            self._textarea[1].append(data)


def parse_page(url: str, hash_: str, status_code: int, content_type: str, text: str) -> Page:
    """Find the choices (trigger links, order forms), a meta refresh, or a JSON trigger."""
    if "json" in content_type.lower():
        trigger = None
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("trigger"), str):
            trigger = data["trigger"]
        return Page(url, hash_, status_code, content_type, text, json_trigger=trigger)
    parser = _PageParser()
    try:
        parser.feed(text)
        parser.close()
    except Exception:  # noqa: BLE001 - a broken page simply offers nothing
        pass
    base = urljoin(url, parser.base) if parser.base else url
    choices: list[Choice] = []
    for _, item in parser.items:
        if not isinstance(item, _Form):  # a link
            href, label = item
            code = classify(href)
            if code is not None:
                choices.append(Choice("link", label or href.strip(), href.strip(), code=code))
        else:
            form = item
            action = urljoin(base, form.action) if form.action else url
            label = form.label or form.button or f"order form ({action})"
            choices.append(
                Choice(
                    "form",
                    label,
                    action,
                    form.method if form.method in ("GET", "POST") else "GET",
                    tuple(form.fields),
                    form.token_field,
                )
            )
    refresh = None
    if parser.refresh is not None:
        refresh = (parser.refresh[0], _join(base, parser.refresh[1]))
    return Page(url, hash_, status_code, content_type, text, tuple(choices), refresh)


def default_choice(page: Page, choices: tuple[Choice, ...]) -> Choice | None:
    """The user's default tap: the first payment link or order form; else a cancel link."""
    for choice in choices:
        if not choice.is_cancel:
            return choice
    return choices[0] if choices else None


ChooseFn = Callable[[Page, tuple[Choice, ...]], Choice | None]


@dataclass(frozen=True)
class Navigation:
    """Where a navigation ended: a trigger (`code`), or a page with nothing to follow."""

    page: Page | None
    code: Code | None = None
    #: how the trigger was met: link | redirect | refresh | json, after the steps that led there
    #: joined with ">", e.g. "form>redirect" (order form answered with a redirect)
    via: str | None = None
    left: bool = False  # the user closed the view (choose returned None)


class WebView:
    """Loads pages with `follow_redirects=False` so seqr:// Locations can be intercepted."""

    def __init__(self, http: httpx.Client, *, max_hops: int = MAX_HOPS) -> None:
        self.http = http
        self.max_hops = max_hops
        self.visits: list[Visit] = []
        self.page: Page | None = None

    # -- loading -------------------------------------------------------------------------
    def load(
        self,
        url: str,
        *,
        method: str = "GET",
        data: dict[str, str] | list[tuple[str, str]] | None = None,
        hash_: str | None = None,
    ) -> Navigation:
        """Load `url` (fragment = location.hash), following http(s) redirects."""
        target, frag = urldefrag(url)
        current_hash = frag if frag else (hash_ or "")
        for _ in range(self.max_hops):
            location = f"{target}#{current_hash}" if current_hash else target
            try:
                request_url, content = target, None
                if method == "GET" and data:
                    request_url = _with_query(target, data)
                    location = f"{request_url}#{current_hash}" if current_hash else request_url
                elif data is not None:
                    content = urlencode(list(data.items()) if isinstance(data, dict) else data)
                headers = {"Accept": ACCEPT}
                if content is not None:
                    headers["Content-Type"] = "application/x-www-form-urlencoded"
                response = self.http.request(
                    method, request_url, content=content, headers=headers, follow_redirects=False
                )
            except httpx.HTTPError as exc:
                self.visits.append(Visit(method, location, None))
                raise we.ServerUnreachable(f"{method} {location}: {exc}") from exc
            self.visits.append(Visit(method, location, response.status_code))
            if response.status_code in _REDIRECTS and "location" in response.headers:
                raw = response.headers["location"]
                code = classify(raw)
                if code is not None:
                    return Navigation(self.page, code, "redirect")
                nxt, nfrag = urldefrag(urljoin(request_url, raw))
                if urlsplit(nxt).scheme.lower() not in ("http", "https"):
                    raise we.WalletError(f"redirect to an unsupported URL: {raw!r}")
                if response.status_code in (307, 308):
                    pass  # method and body kept
                else:
                    method, data = "GET", None
                target, current_hash = nxt, (nfrag or current_hash)
                continue
            text = response.content[:MAX_PAGE_BYTES].decode(
                response.encoding or "utf-8", errors="replace"
            )
            self.page = parse_page(
                request_url,
                current_hash,
                response.status_code,
                response.headers.get("content-type", ""),
                text,
            )
            return Navigation(self.page)
        raise we.WalletError(f"too many redirects from {url}")

    # -- finding the trigger --------------------------------------------------------------
    def find_trigger(
        self, start: Navigation, token: str, choose: ChooseFn | None = None
    ) -> Navigation:
        """From a loaded page, act like the user and the page until a trigger appears.

        Order on each page: a JSON `trigger`; a zero-delay meta refresh; the user's choice
        among trigger links and order forms (`choose`, default: the first payment choice);
        a delayed meta refresh. Returns a Navigation without `code` if the page offers nothing.
        """
        nav = start
        steps: list[str] = []
        if nav.code is not None:
            return Navigation(nav.page, nav.code, "redirect")

        def found(page: Page | None, code: Code, how: str) -> Navigation:
            return Navigation(page, code, ">".join([*steps, how]))

        for _ in range(self.max_hops):
            if nav.code is not None:
                return found(nav.page, nav.code, "redirect")
            if nav.page is None:
                return nav
            page = nav.page
            if not page.ok:
                return nav
            if page.json_trigger is not None:
                code = classify(page.json_trigger)
                if code is None:
                    raise we.WalletError(f"JSON trigger is not a SEQR link: {page.json_trigger!r}")
                return found(page, code, "json")
            if page.refresh is not None and (page.refresh[0] == 0 or not page.choices):
                code = classify(page.refresh[1])
                if code is not None:
                    return found(page, code, "refresh")
                steps.append("refresh")
                nav = self.load(page.refresh[1], hash_=page.hash)
                continue
            if not page.choices:
                return nav
            picked = (choose or default_choice)(page, page.choices)
            if picked is None:
                return Navigation(page, None, None, left=True)
            if picked.kind == "link":
                if picked.code is not None:
                    return found(page, picked.code, "link")
                steps.append("link")
                nav = self.load(_join(page.url, picked.url), hash_=page.hash)
                continue
            steps.append("form")
            nav = self.submit(picked, token)
        raise we.WalletError("the service pages did not lead to a payment (too many steps)")

    def submit(self, form: Choice, token: str) -> Navigation:
        """Submit an order form with the TOKEN, as the page's JavaScript would."""
        fields = [(k, v) for k, v in form.fields if k != form.token_field]
        fields.append((form.token_field or "token", token))
        return self.load(form.url, method=form.method, data=fields)


def _with_query(url: str, data: dict[str, str] | list[tuple[str, str]]) -> str:
    parts = urlsplit(url)
    extra = urlencode(list(data.items()) if isinstance(data, dict) else data)
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit(parts._replace(query=query))


__all__ = [
    "Choice",
    "Page",
    "Visit",
    "Navigation",
    "WebView",
    "parse_page",
    "classify",
    "default_choice",
    "ChooseFn",
]
