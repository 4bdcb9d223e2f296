"""The REST API (django-ninja): what integrators script. Thin: parse, call a service or selector, render."""
