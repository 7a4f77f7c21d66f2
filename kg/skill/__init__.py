"""The flux-infra-guide skill: its data files (documents.py), its JSON Schemas
(schemas/), and its SKILL.md files (markdown.py, templates/)."""
