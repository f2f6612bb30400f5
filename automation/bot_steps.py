"""The steps of a bot flow (F-AU5): what each kind holds, and the checks made on saving.

Steps are kept as a list of dicts in one JSON column of the flow, not as a row per step. A
flow is small (a handful to a few dozen steps), always read whole (once per customer
message, in the one query that reads the flow) and edited by one admin at a time; steps
name one another by key (a branch per answer), which rows would turn into foreign keys
between rows of one table, saved in an order that respects them. One list, checked here on
every save, keeps the engine (``automation.bot``) a plain walk over dicts.

A step is a dict with ``key`` (a short name, unique in the flow) and ``kind``:

- ``message``: says ``text``, then goes on to ``next``;
- ``question``: asks ``text`` and lists ``answers``, numbered for the customer; each is
  ``{"label", "keywords": [...], "next"}``, and the customer answers with its number, its
  label or one of its keywords;
- ``ask_field``: asks ``text`` and saves the answer into the contact's custom field
  ``field``, then goes on to ``next``;
- ``handover``: says ``text`` (or the flow's hand-over reply) and hands over to a person.

An empty ``next`` ends the flow there, which hands over too. The first step is where the
bot starts. A step may name a step not written yet (an admin builds from the top); such a
flow cannot be switched on (``flow_problems``).
"""

import re

KINDS = {
    "message": "Send a message",
    "question": "Ask a question with numbered answers",
    "ask_field": "Ask, and save the answer in a contact field",
    "handover": "Hand over to a person",
}
KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
TEXT_MAX = 1000
MAX_STEPS = 100
MAX_ANSWERS = 12
ANSWER = re.compile(
    r"^(?P<label>[^|>]+?)\s*(?:\|\s*(?P<keywords>[^>]*?))?\s*(?:->\s*(?P<next>\S*))?$"
)


class StepInvalid(ValueError):
    """A step or flow that cannot be saved; the message is for the admin."""


def _text(value, name: str, *, required: bool) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise StepInvalid(f"Write the {name}.")
    if len(text) > TEXT_MAX:
        raise StepInvalid(f"The {name} is {len(text)} characters; the limit is {TEXT_MAX}.")
    return text


def _next(value) -> str:
    key = str(value or "").strip().lower()
    if key and not KEY.match(key):
        raise StepInvalid(f"“{key}” is no step name (letters, digits, - and _).")
    return key


def clean_step(raw: dict) -> dict:
    """The step ``raw`` as it is stored: known fields only, trimmed; raises StepInvalid."""
    key = str(raw.get("key") or "").strip().lower()
    if not KEY.match(key):
        raise StepInvalid("Name the step with letters, digits, - or _ (up to 40), e.g. “menu”.")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise StepInvalid("Choose what the step does.")
    step = {"key": key, "kind": kind}
    if kind == "handover":
        step["text"] = _text(raw.get("text"), "message", required=False)
        return step
    step["text"] = _text(
        raw.get("text"), "question" if kind != "message" else "message", required=True
    )
    if kind == "question":
        answers = [_answer(a) for a in raw.get("answers") or []]
        if not answers:
            raise StepInvalid("Give the question at least one answer.")
        if len(answers) > MAX_ANSWERS:
            raise StepInvalid(f"A question has at most {MAX_ANSWERS} answers.")
        step["answers"] = answers
        return step
    if kind == "ask_field":
        field = str(raw.get("field") or "").strip()
        if not field or len(field) > 50:
            raise StepInvalid("Name the contact field the answer is saved in (up to 50).")
        step["field"] = field
    step["next"] = _next(raw.get("next"))
    return step


def _answer(raw: dict) -> dict:
    label = _text(raw.get("label"), "answer", required=True)[:100]
    keywords = [str(k).strip().casefold() for k in raw.get("keywords") or [] if str(k).strip()]
    return {"label": label, "keywords": keywords[:20], "next": _next(raw.get("next"))}


def parse_answers(text: str) -> list[dict]:
    """Answers written one a line as ``Label | keyword, keyword -> next step``, keywords and
    the next step optional ("Opening hours | open, when -> hours"); raises StepInvalid."""
    answers = []
    for number, line in enumerate(filter(None, (row.strip() for row in text.splitlines())), 1):
        match = ANSWER.match(line)
        if match is None:
            raise StepInvalid(f"Answer {number}: write it as “Label | keywords -> next step”.")
        keywords = [k for k in re.split(r"[,\s]+", match["keywords"] or "") if k]
        answers.append(
            _answer({"label": match["label"], "keywords": keywords, "next": match["next"]})
        )
    return answers


def answers_text(answers: list[dict]) -> str:
    """``answers`` written back as ``parse_answers`` reads them."""
    lines = []
    for answer in answers:
        line = answer["label"]
        if answer.get("keywords"):
            line += " | " + ", ".join(answer["keywords"])
        if answer.get("next"):
            line += f" -> {answer['next']}"
        lines.append(line)
    return "\n".join(lines)


def targets(step: dict) -> list[str]:
    """The steps ``step`` may go on to (empty names left out)."""
    names = [a["next"] for a in step.get("answers", [])] + [step.get("next", "")]
    return [name for name in names if name]


def flow_problems(steps: list[dict]) -> list[str]:
    """What keeps ``steps`` from running, in words; empty when the flow can be switched on."""
    problems = []
    if not steps:
        return ["The flow has no step yet."]
    if len(steps) > MAX_STEPS:
        problems.append(f"A flow has at most {MAX_STEPS} steps.")
    keys = [step["key"] for step in steps]
    for key in sorted({k for k in keys if keys.count(k) > 1}):
        problems.append(f"Two steps are named {key}.")
    for step in steps:
        for name in targets(step):
            if name not in keys:
                problems.append(f"Step {step['key']} goes on to {name}, which does not exist.")
    return problems


def step_put(steps: list[dict], step: dict, *, replacing: str | None = None) -> list[dict]:
    """``steps`` with ``step`` added at the end, or in place of the step ``replacing``;
    steps that went on to a renamed step follow it. Raises StepInvalid on a taken name."""
    if step["key"] != replacing and any(s["key"] == step["key"] for s in steps):
        raise StepInvalid(f"A step is already named {step['key']}.")
    if replacing is None:
        return [*steps, step]
    renamed = replacing != step["key"]
    result = []
    for current in steps:
        if current["key"] == replacing:
            result.append(step)
            continue
        if renamed:
            current = _renamed(current, replacing, step["key"])
        result.append(current)
    return result


def _renamed(step: dict, old: str, new: str) -> dict:
    step = dict(step)
    if step.get("next") == old:
        step["next"] = new
    if "answers" in step:
        step["answers"] = [a | {"next": new} if a["next"] == old else a for a in step["answers"]]
    return step
