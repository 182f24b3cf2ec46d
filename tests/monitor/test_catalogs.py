"""The extension tables list every rule and channel type there is, each with the code that runs it."""

from __future__ import annotations

from pydantic import BaseModel

from monitor.delivery.catalog import CHANNEL_TYPES, channel_spec_class
from monitor.delivery.channels import ChannelSpec
from monitor.rules.catalog import RULE_TYPES, rule_spec_class
from monitor.rules.specs import RuleSpec


def concrete_types(base: type[BaseModel]) -> set[type[BaseModel]]:
    """Every product subclass of ``base`` (at any depth) whose ``type`` field names a type (a literal default).

    Classes that tests define (a rule type made up for one test) are not the product's and are left out.
    """
    found: set[type[BaseModel]] = set()
    for cls in base.__subclasses__():
        if isinstance(cls.model_fields["type"].default, str) and cls.__module__.startswith("monitor."):
            found.add(cls)
        found |= concrete_types(cls)
    return found


def test_every_rule_spec_class_is_a_registered_type() -> None:
    assert concrete_types(RuleSpec) == set(RULE_TYPES.values())
    assert {name: rule_spec_class(name).model_fields["type"].default for name in RULE_TYPES} == {
        name: name for name in RULE_TYPES
    }


def test_every_channel_spec_class_is_a_registered_type() -> None:
    assert concrete_types(ChannelSpec) == set(CHANNEL_TYPES.values())
    assert channel_spec_class("telegram").model_fields["type"].default == "telegram"
