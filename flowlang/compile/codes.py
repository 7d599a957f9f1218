"""Codes the compiler reports (FL1xx names and types), declared in the rule registry."""

from flowlang.diagnostics import Severity
from flowlang.registry import declare

E = Severity.ERROR
UNDEFINED_NODE = declare(
    "FL101", "names.undefined_node", E, "An arrow or entry names a node that does not exist.",
    "check the spelling, or add the node",
    "Anti-pattern: `-> main_meun`.  Best practice: every `-> target` names a node of the flow.")
UNDEFINED_PROMPT = declare(
    "FL102", "names.undefined_prompt", E, "A `say` names a prompt that is not declared or imported.",
    "declare it with `prompt NAME { zh-CN \"...\" }` or import the file that has it",
    "Anti-pattern: `say welcom`.  Best practice: prompts are declared once and reused by id.")
UNDEFINED_VARIABLE = declare(
    "FL103", "names.undefined_variable", E, "An expression or `into` uses a variable that is not declared.",
    "declare it with `var NAME: type` (or use a built-in such as caller.number)",
    "Anti-pattern: `into acount`.  Best practice: declare every variable with its type.")
DUPLICATE_ID = declare(
    "FL104", "names.duplicate_id", E, "Two declarations of the same kind share a name.",
    "rename one of them",
    "Node ids, prompt ids, lists, hours and variables must each be unique in a flow.")
TYPE_ERROR = declare(
    "FL105", "types.type_error", E, "An expression combines values of incompatible types.",
    "compare numbers with numbers and strings with strings; convert with number(x) or string(x)",
    "Anti-pattern: `if attempts > \"3\"`.  Best practice: `if attempts > 3`.")
UNKNOWN_FUNCTION = declare(
    "FL106", "types.unknown_function", E, "A call of a function that is not a built-in, or with the wrong arguments.",
    "see docs/language.md for the built-in functions",
    "Flow expressions have a fixed set of safe built-ins; there is no way to run arbitrary code.")
IMPORT_NOT_FOUND = declare(
    "FL107", "names.import_not_found", E, "An `import` names a file that cannot be read.",
    "the path is relative to the importing file",
    "Anti-pattern: `import \"comon.flow\"`.")
IMPORT_CYCLE = declare(
    "FL108", "names.import_cycle", E, "Files import each other in a cycle.",
    "move the shared declarations into a third file that both import",
    "a.flow imports b.flow which imports a.flow.")
UNDEFINED_NAME = declare(
    "FL109", "names.undefined_reference", E, "A list, hours, subflow or queue name that is not declared.",
    "declare it, or import the file that declares it",
    "Anti-pattern: `if open(busines)`.  Best practice: `hours business { ... }` then `open(business)`.")
UNKNOWN_LANGUAGE = declare(
    "FL110", "names.unknown_language", E, "A prompt or language choice uses a language the flow does not declare.",
    "add the language to the flow's `languages`, or fix the code (e.g. zh-CN, en-US)",
    "Anti-pattern: `zh-cn \"...\"` in a flow whose languages are zh-CN, en-US.")
MISSING_HEADER = declare(
    "FL111", "names.missing_flow_header", E, "The main file has no `flow` header, or a header lacks entry/languages.",
    "start the file with a header: `flow NAME {`, then `languages zh-CN, en-US` and `entry first_node` on "
    "their own lines, then `}` (a file of prompts, lists, hours, variables and subflows only is a library, "
    "checked through the flows that import it)",
    "Every flow declares its languages (the first is the default) and its entry node.")
BAD_INTERPOLATION = declare(
    "FL112", "types.bad_interpolation", E, "A `{...}` in prompt text is malformed or uses an unknown say-as.",
    "write {variable} or {variable:digits}; say-as is one of digits, number, currency, date, time, ordinal, characters",
    "Anti-pattern: `{balance:money}`.  Best practice: `{balance:currency}`.")
BAD_CALL = declare(
    "FL113", "names.bad_call", E,
    "A `call` does not match its subflow: unknown or missing parameters, or unknown outputs.",
    "pass every `param` without a default, and only the subflow's params and outputs",
    """Anti-pattern: `call check { subflow verify_pin; acount = account }` (a misspelt parameter).
    Best practice: the call's assignments name the subflow's `param`s; `outputs` names its `output`s.""")
