#!/usr/bin/env python3
"""The echo bot of echo-bot.mjs in Python, standard library only: answers each direct message with "echo: <text>".
Run `chat daemon` for the bot's profile first, then: python3 examples/echo_bot.py  (CHAT_HOME selects the profile)."""
import json, os, socket

home = os.environ.get("CHAT_HOME") or os.path.join(
    os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config"), "chat")
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.connect(os.path.join(home, "daemon.sock"))
ids = iter(range(1, 1 << 62))
def call(method, params=None):
    sock.sendall((json.dumps({"jsonrpc": "2.0", "id": next(ids), "method": method, "params": params or {}}) + "\n").encode())

call("subscribe")
for line in sock.makefile(encoding="utf-8"):  # one JSON text per line
    msg = json.loads(line)
    params = msg.get("params") or {}
    if msg.get("method") == "message" and "kind" not in params and not params["body"].startswith("echo: "):
        call("send", {"recipient": params["from"], "message": "echo: " + params["body"]})
    elif "error" in msg:
        print("error", msg["error"]["code"], (msg["error"].get("data") or {}).get("code"), flush=True)
    elif (msg.get("result") or {}).get("subscribed"):
        print("subscribed", flush=True)
    elif (msg.get("result") or {}).get("type") == "direct":
        print("echoed", msg["result"]["id"], flush=True)  # ids only, never message text
