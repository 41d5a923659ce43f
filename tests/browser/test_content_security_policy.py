"""The strict Content-Security-Policy leaves the camera's WebAssembly reader working."""

from playwright.sync_api import expect

from tests.factories import UserFactory

PASSWORD = "a long browser passphrase 1"

# What camera.js does before scanning: the polyfill's WebAssembly from our own
# static files, then one detection (on a blank frame: no barcode, no error).
DETECT_ON_A_BLANK_FRAME = """async () => {
  const root = document.querySelector("[data-wasm-url]");
  const api = window.BarcodeDetectionAPI;
  if (api && api.setZXingModuleOverrides) {
    api.setZXingModuleOverrides({
      locateFile: (path, prefix) =>
        path.endsWith(".wasm") ? root.dataset.wasmUrl : prefix + path,
    });
  }
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 64;
  try {
    const detector = new window.BarcodeDetector({ formats: ["ean_13"] });
    const codes = await detector.detect(canvas);
    return "found " + codes.length;
  } catch (error) {
    return "error " + error;
  }
}"""


def _log_in(page):
    UserFactory(username="camera", password=PASSWORD)
    page.goto("/login")
    page.get_by_label("Username").fill("camera")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Add a book").first).to_be_visible()


def test_the_camera_page_compiles_the_barcode_reader_under_the_policy(page):
    _log_in(page)
    response = page.goto("/books/add/camera/")
    assert "'wasm-unsafe-eval'" in response.headers["content-security-policy"]
    assert page.evaluate(DETECT_ON_A_BLANK_FRAME) == "found 0"


def test_without_wasm_unsafe_eval_the_browser_refuses_the_reader(page):
    """The policy is enforced: the camera page's one allowance is what it needs."""
    _log_in(page)

    def strip_wasm(route):
        response = route.fetch()
        headers = dict(response.headers)
        headers["content-security-policy"] = headers["content-security-policy"].replace(
            " 'wasm-unsafe-eval'", ""
        )
        route.fulfill(response=response, headers=headers)

    page.route("**/books/add/camera/", strip_wasm)
    page.goto("/books/add/camera/")
    outcome = page.evaluate(DETECT_ON_A_BLANK_FRAME)
    assert outcome.startswith("error"), outcome
    assert any("CompileError" in text for text in page.csp_violations)
    page.csp_violations.clear()
