"""Generate a realistic flow of N nodes: menus, collects, branches, plays, sets, fetches, queues."""

from __future__ import annotations


def generate(n: int) -> str:
    """Flow text with about `n` nodes, every node reachable, every path ending at a queue or hang-up."""
    out = ['flow big {\n  title "generated"\n  version "1"\n  languages zh-CN, en-US\n  entry n0\n}\n',
           'var x: number = 0\nvar acct: string = ""\nvar reply: map\n',
           'hours office {\n  timezone "Asia/Shanghai"\n  mon-fri 09:00-18:00\n}\n',
           'queue agents {\n  say p0\n  skills general: 1\n  max_wait 2m\n  overflow -> bye\n}\n',
           'hangup bye {\n  say p0\n}\n']
    for i in range(max(1, n // 5)):
        out.append(f'prompt p{i} {{\n  zh-CN "第{i}号提示：请选择服务。"\n  en-US "Prompt {i}: please choose a service."\n}}\n')
    prompts = max(1, n // 5)
    for i in range(n):
        nxt, alt = f"n{i + 1}" if i + 1 < n else "agents", f"n{i + 2}" if i + 2 < n else "bye"
        p = f"p{i % prompts}"
        k = i % 6
        if k == 0:
            out.append(f"menu n{i} {{\n  say {p}\n  key 1 or speech \"一\", \"one\" -> {nxt}\n  key 2 -> {alt}\n"
                       f"  key 0 -> agents\n  noinput say {p}\n  nomatch say {p}\n  retries 2\n"
                       f"  exhausted -> agents\n}}\n")
        elif k == 1:
            out.append(f"branch n{i} {{\n  if x > {i} and open(office) -> {nxt}\n  else -> {alt}\n}}\n")
        elif k == 2:
            out.append(f"set n{i} {{\n  x = x + {i} * 2\n  -> {nxt}\n}}\n")
        elif k == 3:
            out.append(f"collect n{i} {{\n  say {p}\n  digits 4..8\n  validate len(input) >= 4\n  into acct\n"
                       f"  invalid say {p}\n  -> {nxt}\n  exhausted -> agents\n}}\n")
        elif k == 4:
            out.append(f"play n{i} {{\n  say {p}\n  -> {nxt}\n}}\n")
        else:
            out.append(f'fetch n{i} {{\n  url "https://api.example.com/v1/{{acct}}"\n  into reply\n'
                       f"  ok -> {nxt}\n  error -> agents\n}}\n")
    return "\n".join(out)
