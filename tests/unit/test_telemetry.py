"""Where collectors send logs and metrics, read from their configuration: the Alloy file
of examples/platform, Alloy text with the syntax's awkward corners, and the YAML shapes
of chart values (a corpus HelmRelease where the corpora are present)."""

from pathlib import Path

import pytest
import yaml

from loaders.telemetry import alloy_shipments, text_shipments, values_shipments

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_ALLOY = ROOT / "examples/platform/infrastructure/grafana-alloy/metrics-and-logs/config.alloy"
CORPORA = ROOT.parent / "shared" / "corpora"


def test_the_example_alloy_pipeline_names_each_store_its_tenant_and_labels():
    shipments = {s.component: s for s in text_shipments(EXAMPLE_ALLOY.read_text())}
    assert set(shipments) == {
        'loki.write "loki"',
        'prometheus.remote_write "mimir"',
        'prometheus.remote_write "cortex"',
    }
    logs = shipments['loki.write "loki"']
    assert (logs.signal, logs.url) == ("logs", "http://loki-gateway.loki.svc.cluster.local/loki/api/v1/push")
    # tenant_id is sent as X-Scope-OrgID, the header a query must carry too
    assert (logs.tenant, logs.tenant_header) == ("${project_id}", "X-Scope-OrgID")
    # the relabel rules feeding the source, then the external labels with their values
    assert logs.labels == ["namespace", "app", "pod", "container", "cluster=${cluster_name}"]
    assert logs.sources == ['loki.source.kubernetes "pods"']
    mimir = shipments['prometheus.remote_write "mimir"']
    assert mimir.signal == "metrics" and mimir.tenant_header == "X-Scope-OrgID"
    assert mimir.sources == ['prometheus.scrape "cadvisor"', 'prometheus.scrape "kubelet"']
    # a keep rule on the namespace says what the scrape covers
    assert shipments['prometheus.remote_write "cortex"'].sources == [
        'prometheus.scrape "runners" (namespace runner-system)'
    ]


def test_alloy_comments_strings_and_chains_do_not_confuse_the_reader():
    text = """
    // loki.write "commented" { endpoint { url = "http://nope" } }
    /* prometheus.remote_write "block_comment" {
         endpoint { url = "http://nope" } } */
    loki.source.file "files" {
      targets    = [{"__path__" = "/var/log/{a,b}.log"}]
      forward_to = [loki.process.parse.receiver]
    }
    loki.process "parse" {
      stage.json { expressions = { level = "lvl" } }
      forward_to = [loki.write.cloud.receiver]
    }
    loki.write "cloud" {
      endpoint {
        url = "https://user:pass@logs.example.com/loki/api/v1/push"
        headers = { "X-Scope-OrgID" = "team-a" }
      }
      endpoint { url = "http://loki.logging.svc:3100/loki/api/v1/push" }
    }
    otelcol.receiver.otlp "in" {
      grpc {}
      output { traces = [otelcol.exporter.otlp.tempo.input] }
    }
    otelcol.exporter.otlp "tempo" {
      client { endpoint = "tempo.tracing.svc:4317" }
    }
    """
    shipments = alloy_shipments(text)
    assert [(s.component, s.signal, s.url, s.tenant) for s in shipments] == [
        ('loki.write "cloud"', "logs", "https://user:pass@logs.example.com/loki/api/v1/push", "team-a"),
        ('loki.write "cloud"', "logs", "http://loki.logging.svc:3100/loki/api/v1/push", ""),
        ('otelcol.exporter.otlp "tempo"', "traces", "tempo.tracing.svc:4317", ""),
    ]
    # the process stage is a step, not a source; the file source feeds through it
    assert shipments[0].sources == ['loki.source.file "files"']
    assert shipments[2].sources == ['otelcol.receiver.otlp "in"']
    assert text_shipments("plain: yaml\nnot: alloy\n") == []


def test_chart_values_remote_write_clients_sinks_and_an_inline_alloy_config():
    values = yaml.safe_load(
        """
        prometheus:
          prometheusSpec:
            remoteWrite:
              - url: http://mimir-nginx.mimir.svc/api/v1/push
                headers: {X-Scope-OrgID: prod}
        promtail:
          config:
            clients:
              - url: http://loki-gateway.loki.svc/loki/api/v1/push
                tenant_id: prod
                external_labels: {cluster: c1}
        customConfig:
          sinks:
            loki:
              type: loki
              endpoint: http://loki.monitoring.svc:3100
            notes:
              type: console
            forward:
              type: vector
              inputs: [kubernetes_logs]
              address: vector-aggregator:6000
            metrics:
              type: prometheus_exporter
              address: 0.0.0.0:9090
        alloy:
          configMap:
            content: |
              loki.write "default" {
                endpoint { url = "http://loki.loki.svc/loki/api/v1/push" }
              }
        """
    )
    found = {(s.component, s.signal, s.url, s.tenant, s.tenant_header) for s in values_shipments(values)}
    assert found == {
        ("values.prometheus.prometheusSpec.remoteWrite[0]", "metrics", "http://mimir-nginx.mimir.svc/api/v1/push", "prod", "X-Scope-OrgID"),
        ("values.promtail.config.clients[0]", "logs", "http://loki-gateway.loki.svc/loki/api/v1/push", "prod", "X-Scope-OrgID"),
        ("values.customConfig.sinks.loki", "logs", "http://loki.monitoring.svc:3100", "", ""),
        ("values.customConfig.sinks.forward", "logs", "vector-aggregator:6000", "", ""),
        ('loki.write "default"', "logs", "http://loki.loki.svc/loki/api/v1/push", "", ""),
    }  # fmt: skip
    (forward,) = [s for s in values_shipments(values) if s.component.endswith("forward")]
    assert forward.sources == ["kubernetes_logs"]
    (promtail,) = [s for s in values_shipments(values) if "clients" in s.component]
    assert promtail.labels == ["cluster=c1"]


def test_a_log_collector_chart_remote_write_carries_logs():
    path = CORPORA / "buroa__k8s-gitops/kubernetes/apps/observability/victoria-logs/collector/helmrelease.yaml"
    if not path.exists():
        pytest.skip(f"corpus not present: {path}")
    release = yaml.safe_load(path.read_text())
    # no hint from the chart: the store's host says it takes logs
    shipments = values_shipments(release["spec"]["values"])
    assert [(s.signal, s.url) for s in shipments] == [
        ("logs", "http://victoria-logs.observability.svc.cluster.local:9428")
    ]
