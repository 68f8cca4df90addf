"""The few HTML pages the tool shows itself: errors, the deep-linking picker, form posts."""

from __future__ import annotations

from typing import Any

import jinja2

_BASE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}
li{margin:.4rem 0}button{font:inherit;padding:.3rem .8rem}</style></head>
<body>{% block body %}{% endblock %}</body></html>"""

TEMPLATES = {
    "base.html": _BASE,
    "error.html": """{% extends "base.html" %}{% block body %}
<h1>{{ title }}</h1><p class="lti-error">{{ message }}</p>
<p>Please launch the course again from your learning platform.</p>{% endblock %}""",
    "picker.html": """{% extends "base.html" %}{% block body %}
<h1>{{ title }}</h1><p>Choose what to add to your course.</p>
{% for b in bundles %}<section class="course" data-course="{{ b.id }}">
<h2>{{ b.title }}</h2>
<form method="post" action="{{ action }}"><input type="hidden" name="token" value="{{ token }}">
<input type="hidden" name="course" value="{{ b.id }}"><ul>
<li><button name="module" value="" class="pick-course">The whole course</button></li>
{% for m in b.meta.modules %}<li><button name="module" value="{{ m.id }}" class="pick-module">
Module: {{ m.title }}</button></li>{% endfor %}</ul></form></section>
{% else %}<p>No courses are installed on this tool yet.</p>{% endfor %}{% endblock %}""",
    "autopost.html": """{% extends "base.html" %}{% block body %}
<form id="autopost" method="post" action="{{ action }}">{% for k, v in fields.items() %}
<input type="hidden" name="{{ k }}" value="{{ v }}">{% endfor %}
<noscript><button>Continue</button></noscript></form>
<script>document.getElementById("autopost").submit();</script>{% endblock %}""",
    "registered.html": """{% extends "base.html" %}{% block body %}
<h1>{{ title }}</h1><p>The tool is registered with {{ issuer }} (client id {{ client_id }}).
You can close this window.</p>
<script>(window.opener || window.parent).postMessage({subject: "org.imsglobal.lti.close"}, "*");
</script>{% endblock %}""",
}

_env = jinja2.Environment(loader=jinja2.DictLoader(TEMPLATES), autoescape=True)


def render(name: str, **context: Any) -> str:
    return _env.get_template(name).render(**context)
