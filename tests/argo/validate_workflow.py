"""Validates an Argo Workflow / WorkflowTemplate (JSON on stdin) against Hera's models,
which are generated from Argo's OpenAPI spec. A field the models do not know is dropped
when they load it, so the manifest must survive a round trip unchanged. Also checks the
DAG: every task names a template that exists, every dependency a task that exists.
Prints `ok <tasks>` or the problems, exit 1."""
import json
import sys

from hera.workflows.models import Workflow, WorkflowTemplate

manifest = json.load(sys.stdin)
model = {"Workflow": Workflow, "WorkflowTemplate": WorkflowTemplate}[manifest["kind"]]
loaded = model.model_validate(manifest)
problems = []
if json.loads(loaded.model_dump_json(by_alias=True, exclude_none=True)) != manifest:
    problems.append("fields Argo's schema does not know were dropped in a round trip")
templates = {t.name: t for t in loaded.spec.templates}
entry = templates.get(loaded.spec.entrypoint)
if entry is None or entry.dag is None:
    problems.append(f"entrypoint {loaded.spec.entrypoint!r} is not a DAG template")
    tasks = []
else:
    tasks = entry.dag.tasks
names = {t.name for t in tasks}
for task in tasks:
    if task.template not in templates:
        problems.append(f"task {task.name} uses unknown template {task.template}")
    for dep in task.dependencies or []:
        if dep not in names:
            problems.append(f"task {task.name} depends on unknown task {dep}")
if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"ok {len(tasks)}")
