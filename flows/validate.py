"""Cross-reference checks of an instrument: every reference resolves, jumps go forward, nothing is unreachable."""

from __future__ import annotations

from flows import errors as E
from flows.errors import DefinitionProblem
from flows.roles import ROLES, required_roles
from flows.schema import (
    ALWAYS_PERSONAL,
    PERSONAL_CLASSES,
    SCHOOL_KINDS,
    SELECTS,
    SUBJECT_ROLES,
    Condition,
    Instrument,
    QuestionType,
    RegionLevel,
)
from flows.structure import Layout, Node, build_layout
from flows.values import MAX_TEXT_LENGTH

_NUMERIC = {QuestionType.INTEGER, QuestionType.DECIMAL, QuestionType.CALCULATE}


class _Checker:
    def __init__(self, instrument: Instrument) -> None:
        self.instrument = instrument
        self.layout: Layout = build_layout(instrument)
        self.problems: list[DefinitionProblem] = []

    def report(self, question: str | None, message: str, fix: str) -> None:
        self.problems.append(DefinitionProblem(self.instrument.name, question, message, fix))

    def run(self) -> list[DefinitionProblem]:
        for qid in self.layout.duplicates:
            self.report(qid, E.DUPLICATE_ID, E.DUPLICATE_ID_FIX)
        for qid, name in self.layout.unknown_lists:
            self.report(qid, E.UNKNOWN_CHOICE_LIST.format(name=name), E.UNKNOWN_CHOICE_LIST_FIX)
        for node in self.layout.nodes.values():
            self.check_node(node)
        for check in self.instrument.checks:
            self.check_nik_check(check)
        for rule in self.instrument.rules:
            for ref in rule.questions():
                if ref not in self.layout.nodes:
                    self.report(rule.question, E.RULE_UNKNOWN_QUESTION.format(ref=ref), E.RULE_UNKNOWN_QUESTION_FIX)
        subject = self.instrument.subject
        for field, ref in subject.model_dump(exclude_none=True, exclude={"category_codes"}).items():
            if ref not in self.layout.nodes:
                self.report(None, E.UNKNOWN_QUESTION.format(field=f"subject.{field}", ref=ref), E.UNKNOWN_QUESTION_FIX)
        category = self.layout.nodes.get(subject.category or "")
        for code in subject.category_codes:
            if category is None or category.choice(code) is None:
                self.report(subject.category, E.UNKNOWN_CODE.format(field="subject.category_codes", code=code, ref=subject.category), E.UNKNOWN_CODE_FIX)
        self.check_field_classes()
        self.check_bindings()
        if not self.problems:
            self.check_reachable()
        return self.problems

    def check_field_classes(self) -> None:
        seen: dict[str, str] = {}
        for fc, qids in self.instrument.field_classes.items():
            for ref in qids:
                if ref not in self.layout.nodes:
                    self.report(None, E.UNKNOWN_QUESTION.format(field=f"field_classes.{fc.value}", ref=ref), E.UNKNOWN_QUESTION_FIX)
                elif ref in seen:
                    self.report(ref, E.TWO_FIELD_CLASSES.format(first=seen[ref], second=fc.value), E.TWO_FIELD_CLASSES_FIX)
                seen.setdefault(ref, fc.value)
                node = self.layout.nodes.get(ref)
                if fc in PERSONAL_CLASSES and node is not None and not node.question.personal:
                    self.report(ref, E.NOT_PERSONAL.format(type=fc.value), E.NOT_PERSONAL_FIX)

    def check_bindings(self) -> None:
        """Every bound role is known and points at a question; every role code reads from this form is bound."""
        for role, ref in self.instrument.bindings.items():
            if role in SUBJECT_ROLES:
                self.report(None, E.ROLE_IN_BINDINGS.format(role=role), E.ROLE_IN_BINDINGS_FIX)
            elif role not in ROLES:
                known = ", ".join(r for r in ROLES if r not in SUBJECT_ROLES)
                self.report(None, E.UNKNOWN_ROLE.format(role=role), E.UNKNOWN_ROLE_FIX.format(known=known))
            if ref not in self.layout.nodes:
                self.report(None, E.UNKNOWN_QUESTION.format(field=f"bindings.{role}", ref=ref), E.UNKNOWN_QUESTION_FIX)
        for role in required_roles(self.instrument.name):
            try:
                self.instrument.bound(role)
            except KeyError:
                where = "subject" if role in SUBJECT_ROLES else "bindings"
                self.report(None, E.MISSING_ROLE.format(where=where, role=role, meaning=ROLES[role].meaning),
                            E.MISSING_ROLE_FIX.format(where=where, role=role))

    # -- one question ---------------------------------------------------------------------------------------
    def check_node(self, node: Node) -> None:
        q = node.question
        if not q.label.strip():
            self.report(q.id, E.EMPTY_LABEL, E.EMPTY_LABEL_FIX)
        if q.type in ALWAYS_PERSONAL and not q.personal:
            self.report(q.id, E.NOT_PERSONAL.format(type=q.type.value), E.NOT_PERSONAL_FIX)
        if q.type in SELECTS:
            if not node.choices and not isinstance(q.choices, str):
                self.report(q.id, E.NO_CHOICES.format(type=q.type.value), E.NO_CHOICES_FIX)
            seen: set[str] = set()
            for choice in node.choices:
                if not choice.label.strip():
                    self.report(q.id, E.CHOICE_WITHOUT_LABEL.format(code=choice.code), E.CHOICE_WITHOUT_LABEL_FIX)
                if choice.code in seen:
                    self.report(q.id, E.DUPLICATE_CODE.format(code=choice.code), E.DUPLICATE_CODE_FIX)
                seen.add(choice.code)
        elif q.choices is not None or q.jumps:
            self.report(q.id, E.CHOICES_NOT_ALLOWED.format(type=q.type.value), E.CHOICES_NOT_ALLOWED_FIX)
        for code, target in (q.jumps or {}).items():
            if node.choices and node.choice(code) is None:
                self.report(q.id, E.UNKNOWN_CODE.format(field="jumps", code=code, ref=q.id), E.UNKNOWN_CODE_FIX)
            self.check_target(node, target)
        if q.jump:
            self.check_target(node, q.jump)
        if q.relevant:
            self.check_condition(node, q.relevant)
        if q.type is QuestionType.REPEAT:
            self.check_repeat(node)
        if q.type is QuestionType.CALCULATE:
            self.check_calculation(node)
        if q.schools is not None:
            self.check_school_lookup(node)
        if q.regions is not None:
            self.check_region_lookup(node)
        limit = q.constraint.max_length if q.constraint else None
        if q.type is QuestionType.TEXT and limit is not None and not 1 <= limit <= MAX_TEXT_LENGTH:
            self.report(q.id, E.TEXT_TOO_LONG_LIMIT.format(max=limit, limit=MAX_TEXT_LENGTH), E.TEXT_TOO_LONG_LIMIT_FIX)

    def check_target(self, node: Node, target: str) -> None:
        dest = self.layout.nodes.get(target)
        if dest is None:
            self.report(node.id, E.UNKNOWN_TARGET.format(target=target), E.UNKNOWN_TARGET_FIX)
        elif dest.group != node.group:
            self.report(node.id, E.OUTSIDE_GROUP_JUMP.format(target=target), E.OUTSIDE_GROUP_JUMP_FIX)
        elif dest.index <= node.index:
            self.report(node.id, E.BACKWARD_JUMP.format(target=target), E.BACKWARD_JUMP_FIX)

    def earlier(self, node: Node, ref: str, field: str) -> Node | None:
        """The referenced node if it exists and is asked before ``node`` (a sibling or an outer question)."""
        dest = self.layout.nodes.get(ref)
        if dest is None:
            self.report(node.id, E.UNKNOWN_QUESTION.format(field=field, ref=ref), E.UNKNOWN_QUESTION_FIX)
            return None
        if dest.index >= node.index or (dest.group is not None and dest.group != node.group):
            self.report(node.id, E.LATER_QUESTION.format(field=field, ref=ref), E.LATER_QUESTION_FIX)
            return None
        return dest

    def check_condition(self, node: Node, cond: Condition) -> None:
        for child in (cond.all or []) + (cond.any or []) + ([cond.not_] if cond.not_ else []):
            self.check_condition(node, child)
        if not cond.q:
            return
        dest = self.earlier(node, cond.q, "relevant")
        if dest is None:
            return
        codes = [c for c in [cond.is_, cond.has] + (cond.in_ or []) + (cond.has_any or []) if c is not None]
        if codes and dest.type not in SELECTS:
            self.report(node.id, E.NOT_A_TYPE.format(field="relevant", ref=dest.id, actual=dest.type.value, expected="a select"), E.NOT_A_TYPE_FIX)
            return
        for code in codes:
            if dest.choice(code) is None:
                self.report(node.id, E.UNKNOWN_CODE.format(field="relevant", code=code, ref=dest.id), E.UNKNOWN_CODE_FIX)
        numeric = [v for v in (cond.gte, cond.lte, cond.gt, cond.lt) if v is not None]
        if numeric and dest.type not in _NUMERIC:
            self.report(node.id, E.NOT_A_TYPE.format(field="relevant", ref=dest.id, actual=dest.type.value, expected="a number"), E.NOT_A_TYPE_FIX)

    def check_repeat(self, node: Node) -> None:
        q = node.question
        if node.group is not None:
            self.report(q.id, E.NESTED_REPEAT, E.NESTED_REPEAT_FIX)
        if not q.questions or not q.repeat_count:
            self.report(q.id, E.BAD_REPEAT, E.BAD_REPEAT_FIX)
            return
        dest = self.earlier(node, q.repeat_count, "repeat_count")
        if dest is not None and dest.type is not QuestionType.INTEGER:
            self.report(q.id, E.NOT_A_TYPE.format(field="repeat_count", ref=dest.id, actual=dest.type.value, expected="integer"), E.NOT_A_TYPE_FIX)

    def check_calculation(self, node: Node) -> None:
        calc = node.question.calculate
        if calc is None:
            self.report(node.id, E.BAD_CALCULATE, E.BAD_CALCULATE_FIX)
            return
        expected = QuestionType.DATE if calc.age_from else None
        for ref in calc.questions():
            dest = self.earlier(node, ref, "calculate")
            if dest is None:
                continue
            if expected and dest.type is not expected:
                self.report(node.id, E.NOT_A_TYPE.format(field="calculate", ref=ref, actual=dest.type.value, expected="date"), E.NOT_A_TYPE_FIX)
            if not expected and dest.type not in _NUMERIC:
                self.report(node.id, E.NOT_A_TYPE.format(field="calculate", ref=ref, actual=dest.type.value, expected="a number"), E.NOT_A_TYPE_FIX)

    def check_school_lookup(self, node: Node) -> None:
        lookup = node.question.schools
        assert lookup is not None
        if node.type is not QuestionType.TEXT:
            self.report(node.id, E.BAD_LOOKUP, E.BAD_LOOKUP_FIX)
        for ref in lookup.fills:
            dest = self.layout.nodes.get(ref)
            if dest is None or dest.type is not QuestionType.TEXT or dest.group != node.group or dest.index <= node.index:
                self.report(node.id, E.BAD_LOOKUP_FILL.format(ref=ref), E.BAD_LOOKUP_FILL_FIX)
        for ref, by_code in lookup.kinds.items():
            dest = self.earlier(node, ref, "schools.kinds")
            if dest is None:
                continue
            if dest.type is not QuestionType.SELECT_ONE:
                self.report(node.id, E.NOT_A_TYPE.format(field="schools.kinds", ref=ref, actual=dest.type.value, expected="select_one"), E.NOT_A_TYPE_FIX)
                continue
            for code, kinds in by_code.items():
                if dest.choice(code) is None:
                    self.report(node.id, E.UNKNOWN_CODE.format(field="schools.kinds", code=code, ref=ref), E.UNKNOWN_CODE_FIX)
                for kind in kinds:
                    if kind not in SCHOOL_KINDS:
                        self.report(node.id, E.UNKNOWN_SCHOOL_KIND.format(kind=kind), E.UNKNOWN_SCHOOL_KIND_FIX.format(kinds=", ".join(sorted(SCHOOL_KINDS))))

    def check_region_lookup(self, node: Node) -> None:
        lookup = node.question.regions
        assert lookup is not None
        if node.type is not QuestionType.TEXT or node.question.schools is not None:
            self.report(node.id, E.BAD_REGION_LOOKUP, E.BAD_REGION_LOOKUP_FIX)
        if lookup.within is not None:
            dest = self.layout.nodes.get(lookup.within)
            within = dest.question.regions if dest is not None else None
            if dest is None or within is None or within.level is not RegionLevel.KECAMATAN or dest.index >= node.index or lookup.level is not RegionLevel.DESA:
                self.report(node.id, E.BAD_REGION_WITHIN.format(ref=lookup.within), E.BAD_REGION_WITHIN_FIX)

    def check_nik_check(self, check) -> None:  # type: ignore[no-untyped-def]
        wanted = {"nik": QuestionType.NIK, "birth_date": QuestionType.DATE, "sex": QuestionType.SELECT_ONE, "kecamatan": QuestionType.SELECT_ONE}
        for field, expected in wanted.items():
            ref = getattr(check, field)
            if ref is None:
                continue
            dest = self.layout.nodes.get(ref)
            if dest is None:
                self.report(None, E.UNKNOWN_QUESTION.format(field=f"checks.{field}", ref=ref), E.UNKNOWN_QUESTION_FIX)
            elif field == "kecamatan" and dest.question.regions is not None and dest.question.regions.level is RegionLevel.KECAMATAN:
                continue
            elif dest.type is not expected:
                self.report(ref, E.NOT_A_TYPE.format(field=f"checks.{field}", ref=ref, actual=dest.type.value, expected=expected.value), E.NOT_A_TYPE_FIX)
            elif field == "sex":
                for code in check.sex_codes:
                    if dest.choice(code) is None:
                        self.report(ref, E.UNKNOWN_CODE.format(field="checks.sex_codes", code=code, ref=ref), E.UNKNOWN_CODE_FIX)

    # -- the whole form -------------------------------------------------------------------------------------
    def check_reachable(self) -> None:
        """Flag questions no sequence of answers can lead to, following jumps and conditional skips."""
        reached: set[str] = set()
        for scope in [None, *self.layout.children]:
            seq = self.layout.sequence(scope)
            if not seq:
                continue
            frontier = [seq[0]]
            while frontier:
                qid = frontier.pop()
                if qid in reached:
                    continue
                reached.add(qid)
                frontier.extend(self.successors(qid, seq))
        for qid, node in self.layout.nodes.items():
            group_reached = node.group is None or node.group in reached
            if qid not in reached and group_reached:
                self.report(qid, E.UNREACHABLE, E.UNREACHABLE_FIX)

    def successors(self, qid: str, seq: list[str]) -> list[str]:
        """Where the form can go after ``qid`` within its scope, over-approximating conditions."""
        node = self.layout.nodes[qid]
        q = node.question
        pos = seq.index(qid)
        following = seq[pos + 1] if pos + 1 < len(seq) else None
        out = list((q.jumps or {}).values())
        all_codes_jump = (
            q.type is QuestionType.SELECT_ONE and q.required and bool(node.choices)
            and all(c.code in (q.jumps or {}) for c in node.choices)
        )
        default = q.jump or following
        if default and not all_codes_jump:
            out.append(default)
        if (q.relevant is not None or not q.required) and following:
            out.append(following)  # a passed-over or skipped question takes no jump
        return out


def validate(instrument: Instrument) -> list[DefinitionProblem]:
    """Every cross-reference problem of an instrument; empty when it can be compiled."""
    return _Checker(instrument).run()
