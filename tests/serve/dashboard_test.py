"""The dashboard in a real browser while a run trains: headless Chromium
(Debian's `chromium`, driven over the DevTools protocol on a pipe, no extra
packages) loads `r1 dashboard` on a GRPO run that is about to start and on a
finished SFT run, stays on the page while r1 train writes its steps, and the
test asserts that the page shows the run's latest step, that the reward chart
was redrawn with more points while the page stayed loaded, that the SFT run
has its loss panel, and that the latest sample is listed. Optionally saves a
screenshot (docs/serve.md has one).

usage: dashboard_test.py R1 SOURCE_DIR WORKDIR [SCREENSHOT.png]
"""
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

R1, SRC, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
SHOT = sys.argv[4] if len(sys.argv) > 4 else None
STEPS = 12


def check(cond, what):
    if not cond:
        raise AssertionError(what)


class Chromium:
    """Headless Chromium with the DevTools protocol on fds 3 (in) and 4 (out)."""

    def __init__(self, profile):
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        check(exe, "chromium is not installed (scripts/setup.sh installs it)")
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def fds():
            high_r, high_w = os.dup(to_chrome_r) + 100, os.dup(from_chrome_w) + 100
            os.dup2(to_chrome_r, high_r)
            os.dup2(from_chrome_w, high_w)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        self.proc = subprocess.Popen(
            [exe, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
             "--no-first-run", "--window-size=1400,1000", f"--user-data-dir={profile}",
             "about:blank"],
            preexec_fn=fds, pass_fds=(), close_fds=False,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.next_id, self.buffer, self.session = 0, b"", None

    def send(self, method, params=None, session=True):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        while True:
            while b"\0" not in self.buffer:
                chunk = os.read(self.from_chrome, 1 << 16)
                check(chunk, "chromium closed the DevTools pipe")
                self.buffer += chunk
            raw, self.buffer = self.buffer.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self.next_id:
                check("error" not in reply, f"{method}: {reply.get('error')}")
                return reply["result"]

    def open(self, url):
        target = self.send("Target.createTarget", {"url": url}, session=False)["targetId"]
        self.session = self.send("Target.attachToTarget",
                                 {"targetId": target, "flatten": True}, session=False)["sessionId"]

    def eval(self, expression):
        r = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        check("exceptionDetails" not in r, f"page script failed: {r.get('exceptionDetails')}")
        return r["result"].get("value")

    def screenshot(self, path):
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.send("Browser.close", session=False)
        except AssertionError:
            pass
        self.proc.wait(timeout=30)


# What the test reads from the page, all at once.
PROBE = """JSON.stringify({
  polls: +((document.body || {dataset: {}}).dataset.polls || 0),
  step: (document.querySelector('#run-0') || {dataset: {}}).dataset.step,
  stepText: (document.querySelector('#run-0 .step') || {}).textContent,
  rewardPoints: +((document.querySelector('#panel-reward') || {dataset: {}}).dataset.points || 0),
  rewardUpdates: +((document.querySelector('#panel-reward') || {dataset: {}}).dataset.updates || 0),
  rewardCanvases: document.querySelectorAll('#panel-reward canvas').length,
  lossPoints: +((document.querySelector('#panel-loss') || {dataset: {}}).dataset.points || 0),
  samples: (document.querySelector('#samples') || {}).textContent || '',
})"""


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    os.chdir(SRC)
    run = lambda *a: subprocess.run([R1, *a], check=True, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
    # A finished SFT run, for its panels.
    run("init", "--out", f"{WORK}/model", "--tokenizer", "tests/fixtures/tokenizer/tiny")
    run("sft", "examples/sft/cold_start.toml", "--set", f"model.path={WORK}/model",
        "--set", f"train.output_dir={WORK}/sft", "--set", "train.max_steps=4")
    run("data", "gen", "--task", "arithmetic", "--digits", "4", "--ops", "+", "--n", "400",
        "--seed", "0", "--out", f"{WORK}/train.jsonl")

    grpo = f"{WORK}/grpo"
    dash = subprocess.Popen([R1, "dashboard", grpo, f"{WORK}/sft", "--port", "0"],
                            stdout=subprocess.PIPE, text=True)
    line = dash.stdout.readline()
    m = re.search(r"http://127\.0\.0\.1:(\d+)", line)
    check(m, f"r1 dashboard did not start: {line!r}")
    url = f"http://127.0.0.1:{m.group(1)}/?poll=300"  # several polls per training step
    profile = tempfile.mkdtemp(prefix="r1-chromium-")
    browser = Chromium(profile)
    train = None
    try:
        browser.open(url)
        deadline = time.time() + 60
        while time.time() < deadline:
            seen = json.loads(browser.eval(PROBE))
            if seen["polls"] > 0:
                break
            time.sleep(0.3)
        check(seen["polls"] > 0, f"the page never polled: {seen}")
        check("waiting" in seen["stepText"], f"a run not started yet: {seen['stepText']!r}")
        check(seen["lossPoints"] == 4, f"SFT loss panel: {seen}")

        train = subprocess.Popen(
            [R1, "train", "examples/zero/zero.toml", "--set", f"train.steps={STEPS}",
             "--set", f"train.output_dir={grpo}", "--set", f"data.path={WORK}/train.jsonl",
             "--set", 'data.eval_path=""', "--set", "rollout.questions_per_step=8",
             "--set", "rollout.group_size=4", "--set", "rollout.max_new_tokens=64",
             "--set", "train.log_samples=2"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        history = []
        deadline = time.time() + 300
        while time.time() < deadline:
            seen = json.loads(browser.eval(PROBE))
            history.append(seen)
            if train.poll() is not None and seen["step"] == str(STEPS):
                break
            time.sleep(0.2)
        check(train.wait() == 0, f"r1 train failed: {train.stderr.read().decode()[-2000:]}")

        with open(f"{grpo}/metrics.jsonl") as f:
            last = json.loads(f.readlines()[-1])
        with open(f"{grpo}/samples.jsonl") as f:
            latest = json.loads(f.readlines()[-1])
        # A poll shows the new step before its samples request returns, so the
        # probe can see the last step with the previous samples: wait for them.
        deadline = time.time() + 15
        while (latest["completion"] not in history[-1]["samples"] and time.time() < deadline):
            time.sleep(0.3)
            history.append(json.loads(browser.eval(PROBE)))
        final = history[-1]
        check(final["step"] == str(last["step"]) and final["stepText"] == f"step {last['step']}",
              f"page shows {final['stepText']!r}, the run's last step is {last['step']}")
        check(final["rewardPoints"] == STEPS, f"reward chart has {final['rewardPoints']} points")
        check(final["rewardCanvases"] > 0, "the reward chart drew no canvas")
        # Redrawn while the page stayed loaded: it had fewer points before.
        partial = [h["rewardPoints"] for h in history if 0 < h["rewardPoints"] < STEPS]
        check(partial, f"never saw a partial chart: {[h['rewardPoints'] for h in history]}")
        check(final["rewardUpdates"] > 1, "the reward chart was never redrawn")
        check(latest["completion"] in final["samples"], "the latest sample is not listed")
        if SHOT:
            browser.screenshot(SHOT)
        print(f"dashboard: step {final['step']} shown, reward chart {partial[0]} -> "
              f"{final['rewardPoints']} points over {final['polls']} polls, "
              f"SFT loss panel {final['lossPoints']} points, latest sample listed")
    finally:
        browser.close()
        if train and train.poll() is None:
            train.kill()
        dash.terminate()
        dash.wait(timeout=30)
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
