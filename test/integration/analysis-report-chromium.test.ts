/**
 * report.html in a real browser: headless Chromium (Debian package `chromium`) opens the page
 * analyze wrote for the real quick run fixture and takes a screenshot. The page must render
 * (a non-blank screenshot of the requested size) and make no network request: Chromium is pointed
 * at a local proxy that records every request it receives (Chromium's own calls to Google's
 * service hosts aside).
 */
import { strict as assert } from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { PNG } from "pngjs";
import { analyzeResultsDir } from "../../analysis/analyze";

const CHROMIUM = "/usr/bin/chromium";
const FIXTURE = path.join(__dirname, "..", "fixtures", "analysis", "quick-1");

describe("report.html in headless Chromium", function () {
    this.timeout(180000);
    let root: string;
    let proxy: net.Server;
    let port = 0;
    const requests: string[] = [];

    before(async function () {
        if (!fs.existsSync(CHROMIUM)) {
            throw new Error(`${CHROMIUM} not found: install the Debian package chromium (scripts/setup.sh does)`);
        }
        root = fs.mkdtempSync(path.join(os.tmpdir(), "it5-chromium-"));
        fs.cpSync(FIXTURE, path.join(root, "run"), { recursive: true });
        await analyzeResultsDir(path.join(root, "run"));
        proxy = net.createServer((sock) => {
            sock.once("data", (d) => requests.push(d.toString("latin1").split("\r\n")[0]));
            sock.on("error", () => undefined);
            sock.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
        });
        await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
        port = (proxy.address() as net.AddressInfo).port;
    });

    after(async () => {
        if (proxy) await new Promise((resolve) => proxy.close(resolve));
        if (root) fs.rmSync(root, { recursive: true, force: true });
    });

    it("renders a non-blank 1280×2000 screenshot without any network request", async () => {
        const png = path.join(root, "report.png");
        const page = `file://${path.join(root, "run", "report.html")}`;
        await promisify(execFile)(
            CHROMIUM,
            [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                `--user-data-dir=${path.join(root, "profile")}`,
                // Every http(s) request, including loopback, goes to the counting proxy.
                `--proxy-server=http://127.0.0.1:${port}`,
                "--proxy-bypass-list=<-loopback>",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                `--screenshot=${png}`,
                "--window-size=1280,2000",
                page,
            ],
            { timeout: 150000 },
        );

        assert.ok(fs.existsSync(png), "screenshot written");
        const img = PNG.sync.read(fs.readFileSync(png));
        assert.deepEqual([img.width, img.height], [1280, 2000]);
        let nonWhite = 0;
        let sum = 0;
        let sumSq = 0;
        const n = img.width * img.height;
        for (let i = 0; i < img.data.length; i += 4) {
            const y = (img.data[i] + img.data[i + 1] + img.data[i + 2]) / 3;
            sum += y;
            sumSq += y * y;
            if (y < 250) nonWhite++;
        }
        const variance = sumSq / n - (sum / n) ** 2;
        assert.ok(nonWhite / n > 0.02, `only ${((100 * nonWhite) / n).toFixed(2)} % of the pixels are not white`);
        assert.ok(variance > 100, `luminance variance ${variance.toFixed(1)}: the page looks blank`);
        // Chromium itself phones home (clock, component updates, accounts) even headless; those
        // go to Google's service hosts and are not the page's.
        const own = /^(GET|POST|CONNECT) (https?:\/\/)?[a-z0-9.-]*\.(google\.com|googleapis\.com|gvt1\.com|gstatic\.com)[:/]/;
        assert.deepEqual(
            requests.filter((r) => !own.test(r)),
            [],
            "the page made network requests",
        );
    });
});
