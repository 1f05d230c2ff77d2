"""The Office add-in manifest: rendered from ``manifest/manifest.xml`` for a URL, and checked.

Office is terse about bad manifests: an element out of the schema's order, an ``http://`` URL,
an icon that answers 404 or is served with ``no-cache``, and the add-in silently fails to
load or shows a blank button. :func:`check_manifest` finds those before Office does, offline
(structure, order, values) and, given a ``fetch`` function, online (every icon and page
answers 200 with the right content type, icons have the right pixel size). Each problem is
one line that starts with the element's path, e.g.
``OfficeApp/IconUrl: http://localhost:3000/assets/icon-32.png is not https``.

The order rules are the xs:sequence of the Office schemas (OfficeAppManifestV1_1.xsd,
TaskPaneAppVersionOverridesV1_0.xsd, OfficeAppBasicTypesV1_0.xsd), for the elements a task
pane add-in uses.
"""

from __future__ import annotations

import re
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from lxml import etree

from .icons import png_size

APP = "http://schemas.microsoft.com/office/appforoffice/1.1"
OV = "http://schemas.microsoft.com/office/taskpaneappversionoverrides"
BT = "http://schemas.microsoft.com/office/officeappbasictypes/1.0"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"

# fetch(url) -> (HTTP status, Content-Type, body). Raising OSError means "could not fetch".
Fetch = Callable[[str], tuple[int, str, bytes]]

HOSTS = ("Document", "Workbook")  # Word and Excel: the hosts this add-in must declare
ICON_SIZES = {"IconUrl": 32, "HighResolutionIconUrl": 64}
BUTTON_ICON_SIZES = (16, 32, 80)  # mandatory in every Icon list
MAX_IMAGE_BYTES = 100 * 1024  # "The image file size should not exceed 100KB" (schema)
_HOST_SPECIFIC_SETS = re.compile(r"^(WordApi|ExcelApi|PowerPointApi|OneNoteApi|Mailbox)",
                                 re.IGNORECASE)

SEQUENCES: dict[str, tuple[str, ...]] = {
    "OfficeApp": ("Id", "AlternateId", "Version", "ProviderName", "DefaultLocale",
                  "DisplayName", "Description", "IconUrl", "HighResolutionIconUrl",
                  "SupportUrl", "AppDomains", "Hosts", "Requirements", "DefaultSettings",
                  "Permissions", "Dictionary", "VersionOverrides", "ExtendedOverrides"),
    "VersionOverrides": ("Description", "Requirements", "Hosts", "Resources",
                         "WebApplicationInfo", "EquivalentAddins", "VersionOverrides"),
    "DesktopFormFactor": ("GetStarted", "FunctionFile", "ExtensionPoint"),
    "GetStarted": ("Title", "Description", "LearnMoreUrl"),
    "Group": ("Label", "Icon", "Control"),
    "Control": ("Label", "Supertip", "Icon", "Action", "Items"),
    "Supertip": ("Title", "Description"),
    "Action": ("TaskpaneId", "SourceLocation", "Title"),
    "Resources": ("Images", "Urls", "ShortStrings", "LongStrings"),
    "Requirements": ("Sets", "Methods"),
}
REQUIRED = ("Id", "Version", "ProviderName", "DefaultLocale", "DisplayName", "Description",
            "IconUrl", "HighResolutionIconUrl", "SupportUrl", "Hosts", "DefaultSettings",
            "Permissions", "VersionOverrides")
PERMISSIONS = ("Restricted", "ReadDocument", "ReadAllDocument", "WriteDocument",
               "ReadWriteDocument")
GUID = re.compile(r"^(urn:uuid:)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                  r"[0-9a-fA-F]{12}$|^\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                  r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}$")
VERSION = re.compile(r"^[0-9]{1,5}(\.[0-9]{1,5}){0,3}$")
CULTURE = re.compile(r"^([a-zA-Z]{2,3}-[a-zA-Z0-9]{3,8}(-[a-zA-Z]{2,3})?|[a-zA-Z]{2,3}"
                     r"(-[a-zA-Z]{2,3}(_tradnl|\.pseudo|-[a-zA-Z]{4,8})?)?)$")
# Which resource collection a resid must name, by the referring element's local name.
RESOURCE_KIND = {"Image": "Images", "SourceLocation": "Urls", "LearnMoreUrl": "Urls",
                 "FunctionFile": "Urls", "Label": "ShortStrings", "Title": "ShortStrings",
                 "Description": "LongStrings"}
STRING_LIMITS = {"ShortStrings": 125, "LongStrings": 250}


def template_path() -> Path:
    """``manifest/manifest.xml`` in a checkout, or the packaged copy in an installed wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "manifest" / "manifest.xml",
                      here / "_manifest" / "manifest.xml"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"no manifest/manifest.xml next to {here}")


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    path = template_path()
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(path.parent)),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True)
    return env.get_template(path.name)


def render_manifest(public_url: str, client_id: str = "", audience: str = "") -> str:
    """The manifest with every URL under ``public_url`` (a trailing slash is dropped).

    With the app registration's ``client_id`` (Entra sign-in), it declares
    ``WebApplicationInfo`` so Office SSO can issue a token for our API: the resource is the
    first ``api://`` entry of ``audience`` (comma-separated, as ADDIN_AUTH_AUDIENCE), else
    ``api://<public host>/<client_id>``, the form Office SSO requires."""
    base = public_url.strip().rstrip("/")
    sso = None
    if client_id.strip():
        named = [a.strip() for a in audience.split(",") if a.strip().startswith("api://")]
        resource = named[0] if named else f"api://{urlsplit(base).netloc}/{client_id.strip()}"
        sso = {"client_id": client_id.strip(), "resource": resource}
    return _template().render(public_url=base, sso=sso)


def manifest_for(settings: Mapping[str, Any], public_url: str | None = None) -> str:
    """The manifest for these settings: Office SSO declared when sign-in is Entra."""
    entra = settings["AUTH"] == "entra"
    return render_manifest(public_url or settings["PUBLIC_URL"],
                           settings["AUTH_CLIENT_ID"] if entra else "",
                           settings["AUTH_AUDIENCE"] if entra else "")


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _children(element: etree._Element) -> list[etree._Element]:
    return [child for child in element if isinstance(child.tag, str)]


def _path(element: etree._Element) -> str:
    """``OfficeApp/VersionOverrides/Hosts/Host[Document]/…``: where a problem is."""
    parts = []
    node: etree._Element | None = element
    while node is not None:
        typed = _local(node) not in ("OfficeApp", "VersionOverrides")
        key = (node.get("id") or node.get("resid") or (typed and node.get(XSI_TYPE))
               or node.get("Name") or node.get("Locale"))
        parts.append(f"{_local(node)}[{key}]" if key else _local(node))
        node = node.getparent()
    return "/".join(reversed(parts))


def _longest_ordered(ranks: list[int]) -> set[int]:
    """Indexes of a longest non-decreasing run of ``ranks`` (kept in place; the rest moved)."""
    best: list[int] = [1] * len(ranks)
    back: list[int] = [-1] * len(ranks)
    for i in range(len(ranks)):
        for j in range(i):
            if ranks[j] <= ranks[i] and best[j] + 1 > best[i]:
                best[i], back[i] = best[j] + 1, j
    keep: set[int] = set()
    i = max(range(len(ranks)), key=lambda k: best[k], default=-1)
    while i >= 0:
        keep.add(i)
        i = back[i]
    return keep


def _order_problems(parent: etree._Element, order: tuple[str, ...]) -> list[str]:
    kids = [(c, order.index(_local(c))) for c in _children(parent) if _local(c) in order]
    keep = _longest_ordered([rank for _, rank in kids])
    problems = []
    for i, (child, rank) in enumerate(kids):
        if i in keep:
            continue
        after = [kids[j][0] for j in range(i) if j in keep and kids[j][1] > rank]
        if after:
            problems.append(f"{_path(parent)}: element {_local(child)} must come before "
                            f"{_local(after[0])}")
            continue
        before = [kids[j][0] for j in range(i + 1, len(kids)) if j in keep and kids[j][1] < rank]
        problems.append(f"{_path(parent)}: element {_local(child)} must come after "
                        f"{_local(before[-1])}")
    return problems


def _url_settings(root: etree._Element) -> Iterator[tuple[etree._Element, str, str]]:
    """(element, URL, role) for every URL in the manifest; role is "image", "page",
    "support" or "domain"."""
    roles = {"IconUrl": "image", "HighResolutionIconUrl": "image", "SupportUrl": "support"}
    for element in _children(root):
        role = roles.get(_local(element))
        if role is None and _local(element) == "DefaultSettings":
            for source in element.iterfind(f"{{{APP}}}SourceLocation"):
                yield from _with_overrides(source, "page")
        elif role:
            yield from _with_overrides(element, role)
    for domain in root.iterfind(f"{{{APP}}}AppDomains/{{{APP}}}AppDomain"):
        yield domain, (domain.text or "").strip(), "domain"
    for image in root.iter(f"{{{BT}}}Image"):
        if image.get("id") is not None:
            yield from _with_overrides(image, "image")
    for url in root.iter(f"{{{BT}}}Url"):
        yield from _with_overrides(url, "page")


def _with_overrides(element: etree._Element, role: str) -> Iterator[
        tuple[etree._Element, str, str]]:
    yield element, element.get("DefaultValue", ""), role
    for override in _children(element):
        if _local(override) == "Override":
            yield override, override.get("Value", ""), role


def _check_office_app(root: etree._Element) -> list[str]:
    problems: list[str] = []
    if root.tag != f"{{{APP}}}OfficeApp":
        return [f"{_local(root)}: the root element must be OfficeApp in namespace {APP}"]
    if root.get(XSI_TYPE) != "TaskPaneApp":
        problems.append(f"OfficeApp: xsi:type must be TaskPaneApp, not {root.get(XSI_TYPE)!r}")
    counts: dict[str, int] = {}
    for child in _children(root):
        name = _local(child)
        counts[name] = counts.get(name, 0) + 1
        if name not in SEQUENCES["OfficeApp"]:
            problems.append(f"OfficeApp/{name}: not an element OfficeApp may hold")
        elif name == "VersionOverrides" and child.tag != f"{{{OV}}}VersionOverrides":
            problems.append(f"OfficeApp/VersionOverrides: must be in namespace {OV}")
    problems += [f"OfficeApp/{name} appears {n} times; the schema allows one"
                 for name, n in counts.items() if n > 1]
    problems += [f"OfficeApp/{name} is missing" for name in REQUIRED if name not in counts]

    def text(name: str) -> str | None:
        found = next((c for c in _children(root) if _local(c) == name), None)
        return None if found is None else (found.text or "").strip()

    if (value := text("Id")) is not None and not GUID.match(value):
        problems.append(f"OfficeApp/Id: {value!r} is not a GUID "
                        "(like 8c6e0b7f-3a1d-4f5e-9b2a-0d4c6e8f1a2b)")
    if (value := text("Version")) is not None and not VERSION.match(value):
        problems.append(f"OfficeApp/Version: {value!r} is not a version like 1.0.0.0 "
                        "(1 to 4 numbers of up to 5 digits)")
    if (value := text("DefaultLocale")) is not None and not CULTURE.match(value):
        problems.append(f"OfficeApp/DefaultLocale: {value!r} is not a culture name like en-US")
    if (value := text("ProviderName")) is not None and not 1 <= len(value) <= 125:
        problems.append("OfficeApp/ProviderName: must be 1 to 125 characters")
    if (value := text("Permissions")) is not None and value not in PERMISSIONS:
        problems.append(f"OfficeApp/Permissions: {value!r} is not one of {', '.join(PERMISSIONS)}")
    for name, limit in (("DisplayName", 125), ("Description", 250)):
        for element in root.iterfind(f"{{{APP}}}{name}"):
            for node, value in [(element, element.get("DefaultValue"))] + [
                    (o, o.get("Value")) for o in element.iterfind(f"{{{APP}}}Override")]:
                if not value or len(value) > limit:
                    problems.append(f"{_path(node)}: needs a value of 1 to {limit} characters")
                if node is not element and not CULTURE.match(node.get("Locale", "")):
                    problems.append(f"{_path(node)}: Locale {node.get('Locale')!r} is not a "
                                    "culture name like fr-FR")
    hosts = [h.get("Name", "") for h in root.iterfind(f"{{{APP}}}Hosts/{{{APP}}}Host")]
    problems += [f"OfficeApp/Hosts: no Host Name=\"{host}\"; the add-in would not load there"
                 for host in HOSTS if host not in hosts]
    if len(hosts) > 1:
        for requirement in root.iter(f"{{{APP}}}Set", f"{{{BT}}}Set"):
            if _HOST_SPECIFIC_SETS.match(requirement.get("Name", "")):
                problems.append(f"{_path(requirement)}: {requirement.get('Name')} exists in one "
                                "host only; required here it keeps the add-in out of the "
                                f"others ({', '.join(hosts)}). Check it at run time instead")
    settings = root.find(f"{{{APP}}}DefaultSettings")
    if settings is not None and settings.find(f"{{{APP}}}SourceLocation[@DefaultValue]") is None:
        problems.append("OfficeApp/DefaultSettings/SourceLocation is missing (the task pane page)")
    return problems


def _check_overrides(root: etree._Element) -> list[str]:
    overrides = root.find(f"{{{OV}}}VersionOverrides")
    if overrides is None:
        return []
    problems: list[str] = []
    if overrides.get(XSI_TYPE) != "VersionOverridesV1_0":
        problems.append("OfficeApp/VersionOverrides: xsi:type must be VersionOverridesV1_0")
    declared = {h.get("Name") for h in root.iterfind(f"{{{APP}}}Hosts/{{{APP}}}Host")}
    for host in overrides.iterfind(f"{{{OV}}}Hosts/{{{OV}}}Host"):
        if host.get(XSI_TYPE) not in declared:
            problems.append(f"{_path(host)}: host not declared in OfficeApp/Hosts")
        if not host.findall(f"{{{OV}}}DesktopFormFactor/{{{OV}}}ExtensionPoint"):
            problems.append(f"{_path(host)}: needs DesktopFormFactor with an ExtensionPoint")
    resources: dict[str, dict[str, etree._Element]] = {}
    for collection in overrides.iterfind(f"{{{OV}}}Resources/*"):
        ids = resources.setdefault(_local(collection), {})
        for item in _children(collection):
            rid = item.get("id", "")
            if rid in ids:
                problems.append(f"{_path(item)}: id {rid!r} is used twice")
            if not 1 <= len(rid) <= 32:
                problems.append(f"{_path(item)}: an id must be 1 to 32 characters")
            ids[rid] = item
            limit = STRING_LIMITS.get(_local(collection))
            values = [item.get("DefaultValue")] + [o.get("Value") for o in _children(item)]
            if limit and any(not v or len(v) > limit for v in values):
                problems.append(f"{_path(item)}: strings must be 1 to {limit} characters")
    for ref in overrides.iter():
        kind = RESOURCE_KIND.get(_local(ref)) if isinstance(ref.tag, str) else None
        if kind is None or ref.get("resid") is None:  # definitions have an id, not a resid
            continue
        if ref.get("resid") not in resources.get(kind, {}):
            problems.append(f"{_path(ref)}: no resource with id {ref.get('resid')!r} in "
                            f"Resources/{kind}")
    for icon in overrides.iter(f"{{{OV}}}Icon"):
        sizes = {int(i.get("size", "0")) for i in _children(icon) if i.get("size", "").isdigit()}
        missing = [str(s) for s in BUTTON_ICON_SIZES if s not in sizes]
        if missing:
            problems.append(f"{_path(icon)}: needs bt:Image sizes {', '.join(missing)}")
    return problems


def _expected_image_sizes(root: etree._Element) -> tuple[dict[str, int], list[str]]:
    """resid -> pixel size, from the ``size`` of the Icon lists naming it, else from a
    size in the id itself (``Icon.16x16``, ``icon-80``)."""
    seen: dict[str, set[int]] = {}
    for ref in root.iter(f"{{{BT}}}Image"):
        if ref.get("resid") and ref.get("size", "").isdigit():
            seen.setdefault(ref.get("resid", ""), set()).add(int(ref.get("size", "0")))
    sizes: dict[str, int] = {}
    problems: list[str] = []
    for image in root.iter(f"{{{BT}}}Image"):
        rid = image.get("id")
        if rid is None:
            continue
        if len(seen.get(rid, ())) > 1:
            problems.append(f"{_path(image)}: used as a {sorted(seen[rid])} px icon; one image "
                            "cannot be all of these sizes")
        elif rid in seen:
            sizes[rid] = next(iter(seen[rid]))
        elif named := re.search(r"(\d+)(?:x\d+)?\D*$", rid):
            sizes[rid] = int(named.group(1))
    return sizes, problems


def _check_fetched(root: etree._Element, fetch: Fetch) -> list[str]:
    sizes, problems = _expected_image_sizes(root)
    cache: dict[str, tuple[int, str, bytes] | str] = {}
    for element, url, role in _url_settings(root):
        if role not in ("image", "page") or not url.startswith(("https://", "http://")):
            continue
        if url not in cache:
            try:
                cache[url] = fetch(url)
            except (OSError, ValueError) as exc:
                cache[url] = f"could not fetch {url}: {exc}"
        answer, where = cache[url], _path(element)
        if isinstance(answer, str):
            problems.append(f"{where}: {answer}")
            continue
        status, content_type, body = answer
        wanted = "image/" if role == "image" else "text/html"
        if status != 200:
            problems.append(f"{where}: {url} answered {status}, not 200")
        elif not content_type.lower().startswith(wanted):
            problems.append(f"{where}: {url} is served as {content_type or 'no content type'}, "
                            f"not {'an image' if role == 'image' else 'text/html'}")
        elif role == "image":
            owner = element.getparent() if _local(element) == "Override" else element
            assert owner is not None  # an Override always has its setting as parent
            expected = (sizes.get(owner.get("id", "")) if _local(owner) == "Image"
                        else ICON_SIZES.get(_local(owner)))
            actual = png_size(body)
            if expected and actual and actual != (expected, expected):
                problems.append(f"{where}: {url} is {actual[0]}x{actual[1]} px, expected "
                                f"{expected}x{expected}")
            if len(body) > MAX_IMAGE_BYTES:
                problems.append(f"{where}: {url} is {len(body) // 1024} KB; Office wants "
                                "100 KB at most")
    return problems


def parse_manifest(xml: str | bytes) -> etree._Element:
    """Parse without resolving entities, without DTDs and without the network; raises
    ``etree.XMLSyntaxError`` when the text is not well-formed."""
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, remove_comments=False)
    return etree.fromstring(data, parser)


def check_manifest(xml: str | bytes, fetch: Fetch | None = None) -> list[str]:
    """Every problem found in the manifest ``xml``, one line each (empty: the manifest is
    fine). Offline: well-formed, required elements present and in schema order, Id a GUID,
    Version and locales well-formed, every URL https, resource references resolve, button
    icons in 16/32/80 px. With ``fetch``: every icon and page answers 200 as an image or
    text/html, and PNG icons have the pixel size their place asks for."""
    if b"{{ public_url }}" in (xml.encode("utf-8") if isinstance(xml, str) else xml):
        return ["manifest: this is the template; check a rendered manifest "
                "(addin manifest --url URL --out manifest.xml)"]
    try:
        root = parse_manifest(xml)
    except etree.XMLSyntaxError as exc:
        return [f"manifest: not well-formed XML: {exc}"]
    if root.getroottree().docinfo.internalDTD is not None:
        return ["manifest: has a DTD; a manifest must not declare one"]
    problems = _check_office_app(root)
    if root.tag != f"{{{APP}}}OfficeApp":
        return problems
    for parent in root.iter():
        if isinstance(parent.tag, str) and _local(parent) in SEQUENCES:
            problems += _order_problems(parent, SEQUENCES[_local(parent)])
    for element, url, _ in _url_settings(root):
        if not url.startswith("https://"):
            problems.append(f"{_path(element)}: {url or 'an empty URL'} is not https "
                            "(Office loads add-ins over HTTPS only)")
    problems += _check_overrides(root)
    if fetch is not None:
        problems += _check_fetched(root, fetch)
    return problems


def url_fetcher(cafile: Path | None = None, timeout: float = 10.0) -> Fetch:
    """A :data:`Fetch` over HTTP(S) that trusts the system's roots and, if given, ``cafile``
    (the development CA), as Office would once that CA is trusted."""
    context = ssl.create_default_context()
    if cafile is not None and cafile.is_file():
        context.load_verify_locations(cafile=str(cafile))

    def fetch(url: str) -> tuple[int, str, bytes]:
        request = urllib.request.Request(url, headers={"User-Agent": "addin-check-manifest"})
        try:
            with urllib.request.urlopen(request, context=context, timeout=timeout) as response:
                return (int(response.status), response.headers.get("Content-Type", ""),
                        response.read(4 * 1024 * 1024))
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("Content-Type", "") if exc.headers else "", b""

    return fetch
