"""The syntax error codes (FL0xx), declared in the rule registry."""

from flowlang.diagnostics import Severity
from flowlang.registry import declare

SYNTAX_ERROR = declare(
    "FL001", "syntax.unexpected_token", Severity.ERROR,
    "The text does not follow the flow grammar at this point.",
    "check the statement against docs/language.md; each statement goes on its own line",
    """Anti-pattern: `menu main {{ key 1 balance }}` (the arrow is missing).
    Best practice: `key 1 -> balance`.""")
UNEXPECTED_CHAR = declare(
    "FL002", "syntax.unexpected_character", Severity.ERROR,
    "A character that no token of the language starts with.",
    "remove the character, or put the text in double quotes",
    """Anti-pattern: `timeout 5 s!`.  Best practice: `timeout 5s`.""")
UNTERMINATED_STRING = declare(
    "FL003", "syntax.unterminated_string", Severity.ERROR,
    "A string literal is not closed before the end of the line.",
    'close the string with a double quote on the same line: "..."',
    """Strings cannot span lines; write two prompts or one longer line.""")
UNEXPECTED_EOF = declare(
    "FL004", "syntax.unexpected_eof", Severity.ERROR,
    "The file ends before a block is closed.",
    "add the missing '}'",
    """Every `{` opened by a flow, node, prompt or hours block needs its `}`.""")
UNKNOWN_STATEMENT = declare(
    "FL005", "syntax.unknown_statement", Severity.ERROR,
    "A statement or setting that this kind of block does not accept.",
    "see docs/language.md for the settings each block accepts",
    """Anti-pattern: `digits 4` inside a `menu` (menus take keys, not digit strings).
    Best practice: use a `collect` node to read a digit string.""")
BAD_VALUE = declare(
    "FL006", "syntax.bad_value", Severity.ERROR,
    "A setting's value has the wrong shape (e.g. a number where a duration is needed).",
    "see docs/language.md for the value each setting takes",
    """Anti-pattern: `timeout 5` (seconds? milliseconds?).  Best practice: `timeout 5s`.""")
SUPPRESSION_WITHOUT_REASON = declare(
    "FL007", "syntax.suppression_without_reason", Severity.ERROR,
    "An inline suppression comment gives no reason.",
    'write the reason after "--": `# flowc: ignore FL301 -- callers are staff`',
    """Suppressions without a reason rot: nobody knows later whether they still apply.""")
DUPLICATE_SETTING = declare(
    "FL008", "syntax.duplicate_setting", Severity.ERROR,
    "The same setting is given twice in one block.",
    "keep one of the two lines",
    """Anti-pattern: two `timeout` lines in one menu; which one wins is not obvious.""")
