"""Real Helm repositories for the chart-rendering tests: chart sources written here,
packaged with the real `helm package`, indexed with `helm repo index`, and served from a
loopback HTTP server (and, when one can be had, a loopback OCI registry).

Charts:
- `app` (1.0.0, 1.1.0, 2.0.0-rc.1): an app-template-like chart; its values define
  controllers with containers (image, env, envFrom), services, configMaps and persistence,
  rendering Deployments/StatefulSets, Services, ConfigMaps and PVCs; a test hook (left
  out by --skip-tests) and a `required` image repository (a template error when unset).
- `widgets` (0.3.0): CRDs in crds/ plus a Deployment.
- `parent` (1.0.0): depends on the subchart `child`, vendored by `helm dependency update`.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

HELPERS = """\
{{- define "app.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}{{ .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- end -}}
{{- define "app.name" -}}
{{- $full := include "app.fullname" .root -}}
{{- if eq .id "main" -}}{{ $full }}{{- else -}}{{ printf "%s-%s" $full .id | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- end -}}
{{- define "app.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}
"""

CONTROLLERS = """\
{{- range $id, $ctrl := .Values.controllers }}
{{- if ne ($ctrl.enabled | toString) "false" }}
---
apiVersion: apps/v1
kind: {{ ternary "StatefulSet" "Deployment" (eq ($ctrl.type | default "deployment") "statefulset") }}
metadata:
  name: {{ include "app.name" (dict "root" $ "id" $id) }}
  labels:
    {{- include "app.labels" $ | nindent 4 }}
spec:
  replicas: {{ $ctrl.replicas | default 1 }}
  selector:
    matchLabels:
      app.kubernetes.io/instance: {{ $.Release.Name }}
      app.kubernetes.io/controller: {{ $id }}
  template:
    metadata:
      labels:
        app.kubernetes.io/instance: {{ $.Release.Name }}
        app.kubernetes.io/controller: {{ $id }}
    spec:
      containers:
      {{- range $cname, $c := $ctrl.containers }}
        - name: {{ $cname }}
          {{- $repository := required "image.repository is required" $c.image.repository }}
          image: {{ $repository }}:{{ $c.image.tag | default $.Chart.AppVersion }}
          {{- with $c.env }}
          env:
          {{- range $k, $v := . }}
            - name: {{ $k }}
            {{- if kindIs "map" $v }}
              {{- toYaml $v | nindent 14 }}
            {{- else }}
              value: {{ $v | toString | quote }}
            {{- end }}
          {{- end }}
          {{- end }}
          {{- with $c.envFrom }}
          envFrom:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          volumeMounts:
          {{- range $pname, $p := $.Values.persistence }}
          {{- range $p.globalMounts }}
            - name: {{ $pname }}
              mountPath: {{ .path }}
          {{- end }}
          {{- end }}
      {{- end }}
      volumes:
      {{- range $pname, $p := $.Values.persistence }}
        - name: {{ $pname }}
        {{- if eq $p.type "persistentVolumeClaim" }}
          persistentVolumeClaim:
            claimName: {{ $p.existingClaim | default (include "app.name" (dict "root" $ "id" $pname)) }}
        {{- else if eq $p.type "configMap" }}
          configMap:
            name: {{ $p.name }}
        {{- else if eq $p.type "secret" }}
          secret:
            secretName: {{ $p.name }}
        {{- else }}
          emptyDir: {}
        {{- end }}
      {{- end }}
{{- end }}
{{- end }}
"""

SERVICES = """\
{{- range $id, $svc := .Values.service }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ include "app.name" (dict "root" $ "id" $id) }}
  labels:
    {{- include "app.labels" $ | nindent 4 }}
spec:
  selector:
    app.kubernetes.io/instance: {{ $.Release.Name }}
    app.kubernetes.io/controller: {{ $svc.controller | default "main" }}
  ports:
  {{- range $pname, $p := $svc.ports }}
    - name: {{ $pname }}
      port: {{ $p.port }}
  {{- end }}
{{- end }}
"""

CONFIGMAPS = """\
{{- range $id, $cm := .Values.configMaps }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "app.name" (dict "root" $ "id" $id) }}
data:
  {{- toYaml $cm.data | nindent 2 }}
{{- end }}
"""

PVCS = """\
{{- range $id, $p := .Values.persistence }}
{{- if and (eq $p.type "persistentVolumeClaim") (not $p.existingClaim) }}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {{ include "app.name" (dict "root" $ "id" $id) }}
spec:
  accessModes: [{{ $p.accessMode | default "ReadWriteOnce" }}]
  resources:
    requests:
      storage: {{ $p.size | default "1Gi" }}
{{- end }}
{{- end }}
"""

TEST_HOOK = """\
apiVersion: v1
kind: Pod
metadata:
  name: {{ .Release.Name }}-test
  annotations:
    helm.sh/hook: test
spec:
  containers: [{name: t, image: busybox}]
  restartPolicy: Never
"""

APP_VALUES = """\
controllers:
  main:
    type: deployment
    containers:
      app:
        image:
          repository: ghcr.io/example/app
          tag: "1.0"
service:
  main:
    controller: main
    ports:
      http:
        port: 80
persistence: {}
configMaps: {}
"""

WIDGET_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
"""

WIDGET_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-operator
spec:
  selector: {matchLabels: {app: widgets}}
  template:
    metadata: {labels: {app: widgets}}
    spec:
      containers: [{name: operator, image: "ghcr.io/example/widgets:{{ .Chart.AppVersion }}"}]
"""

CHILD_SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}-child
spec:
  ports: [{name: http, port: {{ .Values.port }}}]
"""

PARENT_CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-parent
data:
  greeting: {{ .Values.greeting | quote }}
"""


def APP_VALUES_BENCH(app: str) -> dict[str, Any]:  # noqa: N802 - a values factory
    """Values an app-template release typically has: one controller, one container with
    env and envFrom, a service, a config PVC and an NFS mount."""
    return {
        "controllers": {
            "main": {
                "containers": {
                    "app": {
                        "image": {"repository": f"ghcr.io/home-operations/{app}", "tag": "1.0.0"},
                        "env": {
                            "TZ": "Europe/Paris",
                            "PORT": 8080,
                            "API_KEY": {"valueFrom": {"secretKeyRef": {"name": f"{app}-secret", "key": "api-key"}}},
                        },
                        "envFrom": [{"secretRef": {"name": f"{app}-secret"}}],
                    }
                }
            }
        },
        "service": {"main": {"controller": "main", "ports": {"http": {"port": 8080}}}},
        "persistence": {
            "config": {"type": "persistentVolumeClaim", "size": "2Gi", "globalMounts": [{"path": "/config"}]},
            "media": {
                "type": "persistentVolumeClaim",
                "existingClaim": "media-nfs",
                "globalMounts": [{"path": "/media"}],
            },
        },
    }


def write_chart(root: Path, name: str, version: str, files: dict[str, str], extra_meta: str = "") -> Path:
    chart = root / name
    (chart / "templates").mkdir(parents=True, exist_ok=True)
    (chart / "Chart.yaml").write_text(
        f'apiVersion: v2\nname: {name}\nversion: {version}\nappVersion: "{version}"\n{extra_meta}', encoding="utf-8"
    )
    for rel, text in files.items():
        path = chart / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return chart


def write_sources(root: Path) -> dict[str, Path]:
    """Every test chart's source folder."""
    app = write_chart(
        root,
        "app",
        "1.0.0",
        {
            "values.yaml": APP_VALUES,
            "templates/_helpers.tpl": HELPERS,
            "templates/controllers.yaml": CONTROLLERS,
            "templates/service.yaml": SERVICES,
            "templates/configmap.yaml": CONFIGMAPS,
            "templates/pvc.yaml": PVCS,
            "templates/tests/test-connection.yaml": TEST_HOOK,
            "values-small.yaml": "controllers:\n  main:\n    replicas: 3\n",
        },
    )
    widgets = write_chart(
        root,
        "widgets",
        "0.3.0",
        {
            "crds/widgets.yaml": WIDGET_CRD,
            "templates/operator.yaml": WIDGET_DEPLOYMENT,
            "values.yaml": "{}\n",
        },
    )
    child = write_chart(
        root, "child", "0.1.0", {"values.yaml": "port: 9000\n", "templates/service.yaml": CHILD_SERVICE}
    )
    parent = write_chart(
        root,
        "parent",
        "1.0.0",
        {
            "values.yaml": "greeting: hello\nchild:\n  port: 9000\n",
            "templates/configmap.yaml": PARENT_CONFIGMAP,
        },
        extra_meta="dependencies:\n  - name: child\n    version: 0.1.0\n    repository: file://../child\n",
    )
    return {"app": app, "widgets": widgets, "child": child, "parent": parent}


def helm_run(helm: str, *args: str, cwd: Path | None = None) -> str:
    proc = subprocess.run([helm, *args], capture_output=True, text=True, cwd=cwd, timeout=120)
    assert proc.returncode == 0, f"helm {' '.join(args)}: {proc.stderr}"
    return proc.stdout + proc.stderr


def package_repository(helm: str, sources: dict[str, Path], repo: Path) -> None:
    """Packaged charts and index.yaml in `repo`, as a chart repository serves them."""
    repo.mkdir(parents=True, exist_ok=True)
    for version in ("1.0.0", "1.1.0", "2.0.0-rc.1"):
        helm_run(helm, "package", str(sources["app"]), "--version", version, "--app-version", version, "-d", str(repo))
    helm_run(helm, "package", str(sources["widgets"]), "-d", str(repo))
    helm_run(helm, "dependency", "update", str(sources["parent"]))  # vendors child into parent/charts/
    helm_run(helm, "package", str(sources["parent"]), "-d", str(repo))
    helm_run(helm, "repo", "index", str(repo))  # relative chart URLs, resolved against the repo URL


class ChartServer:
    """index.yaml and .tgz files from a folder on 127.0.0.1 (ephemeral port), in a thread;
    counts the requests per path so tests can prove a chart was fetched once; with
    `basic_auth` ("user:password") it answers 401 to requests without those credentials."""

    def __init__(self, folder: Path, basic_auth: str | None = None) -> None:
        self.requests: list[str] = []
        server = self
        expected = "Basic " + base64.b64encode(basic_auth.encode()).decode() if basic_auth else None

        class Handler(SimpleHTTPRequestHandler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=str(folder), **kwargs)

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                server.requests.append(self.path)
                if expected and self.headers.get("Authorization") != expected:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="charts"')
                    self.end_headers()
                    return
                super().do_GET()

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="chart-server", daemon=True)
        self.thread.start()

    def count(self, suffix: str) -> int:
        return sum(1 for path in self.requests if path.endswith(suffix))

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def hermetic_helm_env(root: Path) -> dict[str, str]:
    """Helm's own folders inside the test's tmp dir: no user config is read or written."""
    env = {
        "HELM_CACHE_HOME": str(root / "helm-cache"),
        "HELM_CONFIG_HOME": str(root / "helm-config"),
        "HELM_DATA_HOME": str(root / "helm-data"),
    }
    for value in env.values():
        Path(value).mkdir(parents=True, exist_ok=True)
    return env


def helm_unavailable(reason: str) -> None:
    """Skip a test that needs helm's tools, or fail it when KG_REQUIRE_HELM=1 (CI)."""
    if os.environ.get("KG_REQUIRE_HELM") == "1":
        pytest.fail(f"KG_REQUIRE_HELM=1 but {reason}")
    pytest.skip(reason)


def require_helm() -> str:
    """The helm binary, or a skip (a failure when KG_REQUIRE_HELM=1, as in CI)."""
    from kg.loaders.helm import find_helm

    helm = find_helm()
    if helm is None:
        helm_unavailable("no helm binary: install helm v3/v4 or run scripts/helm-local install")
    return helm


def find_registry() -> str | None:
    """A loopback OCI registry binary (go-containerregistry's), from scripts/helm-local:
    built on first use when Go is there (seconds once Helm's build warmed Go's cache)."""
    script = Path(__file__).resolve().parents[1] / "scripts" / "helm-local"
    command = "registry" if shutil.which("go") else "registry-path"
    try:
        proc = subprocess.run([str(script), command], capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.SubprocessError):
        return None
    path = proc.stdout.strip()
    return path if proc.returncode == 0 and path and os.access(path, os.X_OK) else None


class OciRegistry:
    """go-containerregistry's in-memory registry on localhost (ephemeral port)."""

    def __init__(self, binary: str, log: Path) -> None:
        import re
        import time

        self.log = log
        self.proc = subprocess.Popen([binary, "-port", "0"], stdout=subprocess.DEVNULL, stderr=log.open("w"))
        deadline = time.monotonic() + 20
        port = None
        while time.monotonic() < deadline and port is None:
            found = re.search(r"serving on port (\d+)", log.read_text())
            port = int(found.group(1)) if found else None
            if port is None:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"registry exited: {log.read_text()}")
                time.sleep(0.05)
        if port is None:
            self.stop()
            raise RuntimeError("registry did not start within 20 s")
        self.host = f"127.0.0.1:{port}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst
