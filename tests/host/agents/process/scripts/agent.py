#!/usr/bin/env python3
"""A process agent for the tests: reads one request JSON per line on stdin, answers with
thread_response lines on stdout. What it does depends on the turn's text:

  hold            keep the turn open (answered, interleaved, when a later plain turn arrives)
  crash-mid:N     one delta, then exit with code N
  crash-after     answer fully, then exit with code 3 (the held turns stay unanswered)
  exit0           exit with code 0 without answering
  kill9           one delta, then SIGKILL itself
  garbage         invalid lines (not JSON, broken JSON, unknown turn, no turn), then the answer
  huge:N          a valid delta line of N bytes, then the answer
  stderr:N        N lines on stderr, then the answer
  pid             answers with its pid as content
  close-stdout    closes stdout and keeps running (the host must stop it)
  cancelled?      answers with the ids of the turns the host cancelled so far
  anything else   deltas "you said " and the text, then done

Argument `ignore-term`: SIGTERM is ignored (a deliberate stop must escalate to SIGKILL).
"""
import json
import os
import signal
import sys
import time

if "ignore-term" in sys.argv[1:]:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)

out = sys.stdout


def send(obj):
    out.write(json.dumps(obj) + "\n")
    out.flush()


held = []
cancelled = []

for raw in sys.stdin:
    try:
        req = json.loads(raw)
    except ValueError:
        sys.stderr.write("agent.py: bad request line\n")
        continue
    turn = req.get("turn")
    if req.get("cancel"):
        cancelled.append(turn)
        continue
    text = req.get("text", "")
    if text == "hold":
        held.append((turn, text))
        continue
    if text.startswith("crash-mid:"):
        send({"turn": turn, "delta": "partial "})
        sys.exit(int(text.split(":", 1)[1]))
    if text == "crash-after":
        send({"turn": turn, "delta": "complete answer"})
        send({"turn": turn, "done": True})
        sys.exit(3)
    if text == "exit0":
        sys.exit(0)
    if text == "kill9":
        send({"turn": turn, "delta": "partial "})
        os.kill(os.getpid(), signal.SIGKILL)
    if text == "garbage":
        out.write("this is not json\n")
        out.write('{"turn": "' + turn + '", "delta": \n')
        out.write('{"turn": "no-such-turn", "delta": "stray"}\n')
        out.write('{"delta": "no turn"}\n')
        out.write("[1, 2, 3]\n")
        out.write("\n")
        out.flush()
    if text.startswith("huge:"):
        n = int(text.split(":", 1)[1])
        send({"turn": turn, "delta": "x" * n})
    if text.startswith("stderr:"):
        sys.stderr.write("long " + "y" * 5000 + "\n")
        for i in range(int(text.split(":", 1)[1])):
            sys.stderr.write("stderr line %d\n" % i)
        sys.stderr.flush()
    if text == "close-stdout":
        out.close()
        os.close(1)
        time.sleep(60)
    if text == "pid":
        send({"turn": turn, "content": str(os.getpid()), "done": True})
        continue
    if text == "cancelled?":
        send({"turn": turn, "content": ",".join(cancelled), "done": True})
        continue
    # Interleave the held turns with this one: a delta each, round robin, then the terminals.
    turns = held + [(turn, text)]
    held = []
    for t, _ in turns:
        send({"turn": t, "delta": "you said "})
    for t, said in reversed(turns):
        send({"turn": t, "delta": said})
    for t, _ in turns:
        send({"turn": t, "done": True})
