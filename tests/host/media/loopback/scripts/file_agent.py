#!/usr/bin/env python3
"""A process agent that answers with files (thread_response `attachment`), for the media tests.
What it sends depends on the turn's text:

  file:b64          a delta, then "hello.txt" (the bytes "hello from the agent") inline as
                    base64 with the caption "the caption", then done
  file:path P       the file at path P (kind file), then done
  file:url U        the image at url U (kind image, no name: the host derives it), then done
  file:big          "big.bin": 2000 bytes inline (over a 1000-byte limit), then done
  file:refuse       "refuse.txt" inline: the test plugin refuses it
  anything else     content "ok", done
"""
import base64
import json
import sys


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


for raw in sys.stdin:
    req = json.loads(raw)
    turn = req.get("turn")
    if req.get("cancel"):
        continue
    text = req.get("text", "")
    if text == "file:b64":
        send({"turn": turn, "delta": "Here it is"})
        send({"turn": turn, "attachment": {
            "kind": "file", "name": "hello.txt", "mime_type": "text/plain",
            "data_base64": base64.b64encode(b"hello from the agent").decode(),
            "caption": "the caption"}})
        send({"turn": turn, "done": True})
    elif text.startswith("file:path "):
        send({"turn": turn, "attachment": {"kind": "file", "path": text[10:]}, "done": True})
    elif text.startswith("file:url "):
        send({"turn": turn, "attachment": {"kind": "image", "url": text[9:]}, "done": True})
    elif text == "file:big":
        send({"turn": turn, "attachment": {
            "kind": "file", "name": "big.bin",
            "data_base64": base64.b64encode(b"z" * 2000).decode()}, "done": True})
    elif text == "file:refuse":
        send({"turn": turn, "attachment": {
            "kind": "file", "name": "refuse.txt",
            "data_base64": base64.b64encode(b"nope").decode()}, "done": True})
    else:
        send({"turn": turn, "content": "ok", "done": True})
