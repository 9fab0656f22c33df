"""docs/openapi.yaml is a valid OpenAPI 3.1 document.

(That every route is documented and every documented route exists is checked by the Swift
suite, OpenAPIDocumentTests, against the router itself.)
"""

from pathlib import Path

import yaml
from openapi_spec_validator import validate

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "docs" / "openapi.yaml"


def load() -> dict:
    return yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))


def test_document_is_valid_openapi_3_1():
    document = load()
    assert str(document["openapi"]).startswith("3.1")
    validate(document)


def test_every_v1_operation_requires_a_token_and_probes_do_not():
    document = load()
    default = document.get("security", [])
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method not in {"get", "put", "post", "patch", "delete"}:
                continue
            security = operation.get("security", default)
            if path.startswith("/v1/"):
                assert security and all("bearerAuth" in requirement for requirement in security), f"{method} {path}"
            else:
                assert security == [], f"{method} {path} must stay open to probes"
