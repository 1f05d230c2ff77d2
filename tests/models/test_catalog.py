"""Configuration as code: a TOML file → providers and assignments, errors located by line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from textwrap import dedent

import pytest

from addin.errors import ConfigError
from addin.models import registry
from addin.models.base import Assignment, ProviderEntry
from addin.models.catalog import (
    Catalog,
    Locator,
    apply,
    ensure_defaults,
    load_catalog,
)
from addin.models.secrets import is_secret_key
from addin.store import Store

AZURE_OPTIONS = {"api_version", "tenant_id", "client_id", "client_secret"}

VALID = '''\
# Providers and features of the test deployment
[providers.claude]
kind = "anthropic"
model = "claude-sonnet-4-5"
base_url = "https://api.anthropic.com"   # alias of endpoint
api_key = "env:ANTHROPIC_API_KEY"         # alias of secret
in_house = false
region = "eu"
price_in_per_mtok = 3.0
price_out_per_mtok = 15
context_window = 200000
timeout_s = 60

[providers."azure-gpt"]
kind = "azure_openai"
model = "gpt-4o-prod"
endpoint = "https://contoso.openai.azure.com"
api_version = "2024-10-21"
tenant_id = "tenant"
client_id = "client"
client_secret = "env:AZURE_CLIENT_SECRET"

[providers.local]
model = "extractive-v2"

[features.summarize]
primary = "claude"
fallbacks = ["azure-gpt", "local"]
temperature = 0.2
max_output_tokens = 800
confidential = false
'''


def _fake_validate(entry: ProviderEntry) -> None:
    """What the registry's validate is expected to do: refuse options a kind does not take."""
    known = AZURE_OPTIONS if entry.kind == "azure_openai" else set()
    for key in entry.options:
        if key not in known:
            raise ConfigError(f"Provider {entry.id!r} (kind {entry.kind!r}) does not take "
                              f"option {key!r}.")


@pytest.fixture(autouse=True)
def kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    """The registry as it will be: remote kinds and option validation (whatever it is now)."""
    fake = {**registry.KINDS, "anthropic": ("m", "C", "p"), "azure_openai": ("m", "C", "p")}
    monkeypatch.setattr(registry, "KINDS", fake)
    monkeypatch.setattr(registry, "validate", _fake_validate, raising=False)


@pytest.fixture()
def store() -> Iterator[Store]:
    store = Store("sqlite://")
    store.create_all()
    yield store
    store.close()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "addin.toml"
    path.write_text(dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def fails(tmp_path: Path, text: str, line: int, *fragments: str, **kwargs: object) -> str:
    """Load ``text``; assert a ConfigError at ``path:line`` mentioning every fragment."""
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_catalog(path, **kwargs)  # type: ignore[arg-type]
    message = str(info.value)
    assert message.startswith(f"{path}:{line}: "), message
    for fragment in fragments:
        assert fragment in message, message
    return message


# --- a valid file -----------------------------------------------------------------------

def test_full_file(tmp_path: Path) -> None:
    catalog = load_catalog(write(tmp_path, VALID))
    by_id = {entry.id: entry for entry in catalog.providers}
    assert list(by_id) == ["local", "claude", "azure-gpt"]
    assert by_id["claude"] == ProviderEntry(
        id="claude", kind="anthropic", model="claude-sonnet-4-5",
        endpoint="https://api.anthropic.com", secret="env:ANTHROPIC_API_KEY", in_house=False,
        region="eu", price_in_per_mtok=3.0, price_out_per_mtok=15, context_window=200000,
        timeout_s=60,
    )
    assert by_id["azure-gpt"].options == {
        "api_version": "2024-10-21", "tenant_id": "tenant", "client_id": "client",
        "client_secret": "env:AZURE_CLIENT_SECRET",
    }
    assert by_id["local"].kind == "local" and by_id["local"].model == "extractive-v2"
    assert by_id["local"].in_house and by_id["local"].price_in_per_mtok == 0
    assert catalog.assignments == (Assignment(
        feature="summarize", primary="claude", fallbacks=("azure-gpt", "local"),
        temperature=0.2, max_output_tokens=800, confidential=False),)


def test_empty_file_still_has_local(tmp_path: Path) -> None:
    catalog = load_catalog(write(tmp_path, "# nothing yet\n"))
    assert [(e.id, e.kind, e.model, e.in_house) for e in catalog.providers] == [
        ("local", "local", "extractive-v1", True)]
    assert catalog.assignments == ()


def test_feature_defaults_to_local(tmp_path: Path) -> None:
    catalog = load_catalog(write(tmp_path, "[features.summarize]\nconfidential = true\n"))
    assert catalog.assignments == (Assignment("summarize", "local", confidential=True),)


def test_custom_feature_list(tmp_path: Path) -> None:
    text = "[features.translate]\nprimary = 'local'\n"
    assert load_catalog(write(tmp_path, text), features=("translate",)).assignments
    fails(tmp_path, text, 1, "unknown feature 'translate'", "known features: summarize, analyze")


# --- every mistake, at its line ---------------------------------------------------------

def test_syntax_error(tmp_path: Path) -> None:
    fails(tmp_path, '[providers.claude]\nkind = "anthropic"\nmodel = claude\n', 3,
          "TOML syntax error", "Invalid value", "column 9")


def test_syntax_error_at_end(tmp_path: Path) -> None:
    fails(tmp_path, '[providers.claude]\nkind = "anthropic"\nmodel = "x\n', 3,
          "TOML syntax error")


def test_unknown_top_level_table(tmp_path: Path) -> None:
    fails(tmp_path, '[features.summarize]\nprimary = "local"\n\n[provider.claude]\nkind = "x"\n',
          4, "unknown table [provider]", "did you mean 'providers'?")


def test_unknown_top_level_key(tmp_path: Path) -> None:
    fails(tmp_path, '# header\nversion = 2\n', 2, "unknown key 'version'")


def test_unknown_provider_key_without_registry_validation(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(registry, "validate")
    fails(tmp_path, '[providers.claude]\nkind = "anthropic"\n# the model\nmodle = "x"\n', 4,
          "provider 'claude': unknown key 'modle'", "did you mean 'model'?")


def test_option_refused_by_registry(tmp_path: Path) -> None:
    message = fails(tmp_path, VALID.replace('tenant_id = "tenant"', 'tenant = "t"'), 19,
                    "does not take option 'tenant'")
    assert message.count("Provider 'azure-gpt'") == 1


def test_typo_of_a_field_gets_a_hint_through_the_registry(tmp_path: Path) -> None:
    fails(tmp_path, '[providers.claude]\nkind = "anthropic"\nmodle = "x"\n', 3,
          "option 'modle'", "Did you mean 'model'?")


def test_real_registry_accepts_the_full_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the registry as it is, not the fake
    pytest.importorskip("langchain_anthropic")
    pytest.importorskip("langchain_openai")
    catalog = load_catalog(write(tmp_path, VALID))
    assert [entry.id for entry in catalog.providers] == ["local", "claude", "azure-gpt"]


def test_real_registry_locates_its_complaints(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()
    pytest.importorskip("langchain_openai")
    fails(tmp_path, VALID.replace('api_version = "2024', 'api_versoin = "2024'), 18,
          "unknown option 'api_versoin'", "Did you mean 'api_version'?")
    fails(tmp_path, '[providers.local]\nmodel = "x"\nmodle = "y"\n', 3,
          "unknown option 'modle'", "Did you mean 'model'?")


def test_unknown_feature_key(tmp_path: Path) -> None:
    fails(tmp_path, '[features.summarize]\nprimary = "local"\nfallback = ["local"]\n', 3,
          "feature 'summarize': unknown key 'fallback'", "did you mean 'fallbacks'?")


@pytest.mark.parametrize(("line", "expected"), [
    ('price_in_per_mtok = "3.0"', "price_in_per_mtok must be a number, not a string"),
    ("in_house = 1", "in_house must be true or false, not an integer"),
    ("context_window = 2.5", "context_window must be a whole number, not a float"),
    ("timeout_s = true", "timeout_s must be a number, not a boolean"),
    ("price_out_per_mtok = -1", "price_out_per_mtok must be at least 0, not -1"),
    ("timeout_s = 0", "timeout_s must be above 0, not 0"),
])
def test_wrong_provider_values(tmp_path: Path, line: str, expected: str) -> None:
    fails(tmp_path, f'[providers.claude]\nkind = "anthropic"\nmodel = "m"\n{line}\n', 4,
          expected)


@pytest.mark.parametrize(("line", "expected"), [
    ('fallbacks = "local"', "fallbacks must be a list of provider ids, not a string"),
    ("fallbacks = [1]", "fallbacks must list provider ids (strings), not an integer"),
    ("temperature = 3", "temperature must be at most 2, not 3"),
    ("temperature = -0.1", "temperature must be at least 0, not -0.1"),
    ("max_output_tokens = 0", "max_output_tokens must be above 0, not 0"),
    ('confidential = "no"', "confidential must be true or false, not a string"),
])
def test_wrong_feature_values(tmp_path: Path, line: str, expected: str) -> None:
    fails(tmp_path, f'[features.summarize]\n{line}\n', 2, expected)


def test_unknown_kind(tmp_path: Path) -> None:
    fails(tmp_path, '[providers.claude]\nmodel = "m"\nkind = "antropic"\n', 3,
          "Provider 'claude' has unknown kind 'antropic'. Known kinds: anthropic, azure_openai,")


def test_missing_kind_and_model(tmp_path: Path) -> None:
    fails(tmp_path, '# x\n[providers.claude]\nmodel = "m"\n', 2, "needs a kind (known kinds:")
    fails(tmp_path, '# x\n[providers.claude]\nkind = "anthropic"\n', 2,
          "provider 'claude' needs a model")


def test_local_keeps_its_kind(tmp_path: Path) -> None:
    fails(tmp_path, '[providers.local]\nmodel = "x"\nkind = "anthropic"\n', 3,
          "the built-in provider 'local' is always of kind 'local'")


@pytest.mark.parametrize("key", ["api_key", "secret", "client_secret"])
def test_secret_in_clear_is_refused_and_not_repeated(tmp_path: Path, key: str) -> None:
    text = (f'[providers.azure]\nkind = "azure_openai"\nmodel = "m"\n'
            f'{key} = "sk-live-1234567890"\n')
    message = fails(tmp_path, text, 4, f"{key} must be a reference",
                    "put the key in an environment variable and write env:NAME",
                    f"env:AZURE_{key.upper()}")
    assert "sk-live" not in message


@pytest.mark.parametrize("value", ['"env:"', '"env:MY KEY"', '"vault:x"', "12345"])
def test_malformed_references_are_refused(tmp_path: Path, value: str) -> None:
    fails(tmp_path, f'[providers.c]\nkind = "anthropic"\napi_key = {value}\n', 3,
          "api_key must be a reference")


def test_alias_and_field_together(tmp_path: Path) -> None:
    fails(tmp_path, '[providers.c]\nkind = "anthropic"\nendpoint = "a"\nbase_url = "b"\n', 4,
          "base_url repeats endpoint; give one")


def test_feature_names_unknown_provider(tmp_path: Path) -> None:
    fails(tmp_path, VALID.replace('primary = "claude"', 'primary = "claud"'), 27,
          "feature 'summarize' names unknown provider 'claud'", "did you mean 'claude'?")
    fails(tmp_path, VALID.replace('["azure-gpt", "local"]', '["gpt", "local"]'), 28,
          "names unknown provider 'gpt'")


def test_unknown_feature(tmp_path: Path) -> None:
    fails(tmp_path, '[features.summarise]\nprimary = "local"\n', 1,
          "unknown feature 'summarise'", "did you mean 'summarize'?")


def test_duplicate_fallbacks(tmp_path: Path) -> None:
    fails(tmp_path, VALID.replace('["azure-gpt", "local"]', '["local", "local"]'), 28,
          "lists provider 'local' twice")
    fails(tmp_path, VALID.replace('["azure-gpt", "local"]', '["claude"]'), 28,
          "lists provider 'claude' twice")


def test_confidential_feature_needs_in_house_providers(tmp_path: Path) -> None:
    fails(tmp_path, VALID.replace("confidential = false", "confidential = true"), 27,
          "feature 'summarize' is confidential but provider 'claude' is not in-house")


def test_tables_must_be_tables(tmp_path: Path) -> None:
    fails(tmp_path, '# x\nproviders = ["claude"]\n', 2, "providers must be a table, not an array")
    fails(tmp_path, '[providers]\nclaude = "anthropic"\n', 2,
          "provider 'claude' must be a table, not a string")


def test_bad_provider_id(tmp_path: Path) -> None:
    fails(tmp_path, '[providers."my provider"]\nkind = "anthropic"\n', 1, "provider id")


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the configuration file"):
        load_catalog(tmp_path / "missing.toml")
    path = tmp_path / "latin1.toml"
    path.write_bytes(b"# ok\n# caf\xe9\n")
    with pytest.raises(ConfigError, match=r"latin1.toml:2: the file is not UTF-8"):
        load_catalog(path)


# --- the locator ------------------------------------------------------------------------

def test_locator_headers_keys_and_fallbacks() -> None:
    text = dedent('''\
        top = 1
        [ providers . "azure.gpt" ]   # quoted key with a dot
        'kind' = "x"   # a literal key
        notes = """
        [providers.fake]
        model = "inside a string"
        """
        list = [
          ["nested", "]"],
          "fallbacks = 2",
        ]
        model = "m"
        [providers]
        claude.kind = "y"
        [[features.extra]]
        primary = "p"
        ''')
    locate = Locator(text)
    assert locate.line("top") == 1
    assert locate.line("providers") == 2
    assert locate.line("providers", "azure.gpt") == 2
    assert locate.line("providers", "azure.gpt", "kind") == 3
    assert locate.line("providers", "fake") == 2  # only inside a string: the parent
    assert locate.line("providers", "azure.gpt", "model") == 12
    assert locate.line("providers", "azure.gpt", "fallbacks") == 2
    assert locate.line("providers", "claude", "kind") == 14
    assert locate.line("providers", "claude", "model") == 14
    assert locate.line("features", "extra", "primary") == 16
    assert locate.line("nowhere") == 1


def test_is_secret_key() -> None:
    assert all(map(is_secret_key, ["api_key", "secret", "client_secret", "Access_Token"]))
    assert not any(map(is_secret_key, ["client_id", "tenant_id", "max_output_tokens"]))


# --- into the store ---------------------------------------------------------------------

def test_apply_writes_the_file_and_leaves_other_rows(tmp_path: Path, store: Store) -> None:
    store.upsert_provider(ProviderEntry(id="claude", kind="anthropic", model="old"))
    store.upsert_provider(ProviderEntry(id="ollama", kind="ollama", model="llama3"))
    store.set_assignment(Assignment("summarize", "ollama"))
    store.set_assignment(Assignment("analyze", "ollama"))
    catalog = load_catalog(write(tmp_path, VALID))
    apply(catalog, store)
    assert store.provider("claude") == catalog.providers[1]
    assert store.provider("local") == catalog.providers[0]
    assert store.provider("ollama") == ProviderEntry(id="ollama", kind="ollama", model="llama3")
    assert store.assignments() == {
        "analyze": Assignment("analyze", "ollama"), "summarize": catalog.assignments[0]}


def test_apply_twice_keeps_the_revision(tmp_path: Path, store: Store) -> None:
    catalog = load_catalog(write(tmp_path, VALID))
    apply(catalog, store)
    revision = store.revision()
    apply(catalog, store)
    assert store.revision() == revision


def test_ensure_defaults(store: Store) -> None:
    store.set_assignment(Assignment("summarize", "claude"))
    ensure_defaults(store)
    local = store.provider("local")
    assert local is not None and local.kind == "local" and local.in_house
    assert store.assignments() == {
        "analyze": Assignment("analyze", "local"), "summarize": Assignment("summarize", "claude")}
    revision = store.revision()
    ensure_defaults(store)
    assert store.revision() == revision


def test_catalog_is_plain_data(tmp_path: Path) -> None:
    catalog = load_catalog(write(tmp_path, VALID))
    assert isinstance(catalog, Catalog) and isinstance(catalog.providers, tuple)
