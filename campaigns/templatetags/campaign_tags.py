from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict, key: str):
    """``mapping[key]`` in a template: the figures and their names by figure."""
    return mapping.get(key, "")
