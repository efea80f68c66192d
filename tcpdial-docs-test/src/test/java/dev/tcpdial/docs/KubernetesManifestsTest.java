package dev.tcpdial.docs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.tcpdial.Resolver;
import dev.tcpdial.exporter.Cidrs;
import dev.tcpdial.exporter.Exporter;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.openshift.api.model.monitoring.v1.Endpoint;
import io.fabric8.openshift.api.model.monitoring.v1.Probe;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/kubernetes, checked offline (there is no cluster here): every document is read into the
 * Kubernetes API type its apiVersion and kind name (fabric8's model; the Prometheus operator's
 * ServiceMonitor and Probe from its {@code monitoring.coreos.com/v1} model), with no field the
 * type does not know at any depth; then the pieces must fit each other (selectors, port names,
 * the Probe's address), the pods must run as the image expects (non-root, read-only), the
 * ConfigMap's serve.yml must serve, and the scan Job's shards must cover 1..N.
 *
 * <p>fabric8's types keep fields they do not know in {@code additionalProperties} instead of
 * failing (so that a newer server's fields survive a round trip): Jackson's
 * FAIL_ON_UNKNOWN_PROPERTIES alone would let a misspelled field through, so every object read is
 * walked and its {@code additionalProperties} must be empty; {@link #aMisspelledFieldIsCaught}
 * shows the walk catches one.
 */
class KubernetesManifestsTest {
  static final Path DIR = DocsSnippetsTest.ROOT.resolve("deploy/kubernetes");
  static final String VERSION = "0.1.0-SNAPSHOT";

  static final Map<String, Class<? extends HasMetadata>> TYPES = Map.of(
      "v1/Namespace", Namespace.class,
      "v1/ConfigMap", ConfigMap.class,
      "v1/Service", Service.class,
      "apps/v1/DaemonSet", DaemonSet.class,
      "batch/v1/Job", Job.class,
      "monitoring.coreos.com/v1/ServiceMonitor", ServiceMonitor.class,
      "monitoring.coreos.com/v1/Probe", Probe.class);

  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

  /** Every document of every manifest, read into its type, by kind. */
  static final Map<String, List<HasMetadata>> BY_KIND = new LinkedHashMap<>();

  @TempDir static Path tmp;

  record Document(Path file, int index, JsonNode tree) {
    String where() {
      return DIR.relativize(file) + " document " + (index + 1);
    }
  }

  static List<Document> documents() throws IOException {
    List<Document> docs = new ArrayList<>();
    List<Path> files;
    try (Stream<Path> s = Files.list(DIR)) {
      files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    for (Path f : files) {
      try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class)
          .readValues(Files.readString(f, StandardCharsets.UTF_8))) {
        int i = 0;
        while (it.hasNext()) {
          JsonNode n = it.next();
          if (n != null && !n.isNull() && !n.isEmpty()) {
            docs.add(new Document(f, i, n));
          }
          i++;
        }
      }
    }
    return docs;
  }

  /** Reads {@code d} into the type its apiVersion and kind name; fails for any other. */
  static HasMetadata read(Document d) throws IOException {
    String key = d.tree().path("apiVersion").asText() + "/" + d.tree().path("kind").asText();
    Class<? extends HasMetadata> type = TYPES.get(key);
    assertThat(type).as("%s: %s is not a type these manifests may use (%s)", d.where(), key,
        TYPES.keySet()).isNotNull();
    HasMetadata r = YAML.treeToValue(d.tree(), type);
    assertThat(HasMetadata.getApiVersion(type)).as("%s: the model's apiVersion", d.where())
        .isEqualTo(d.tree().path("apiVersion").asText());
    return r;
  }

  @BeforeAll
  static void readAll() throws IOException {
    for (Document d : documents()) {
      HasMetadata r = read(d);
      assertThat(unknownFields(r)).as("%s: fields its type does not know", d.where()).isEmpty();
      BY_KIND.computeIfAbsent(r.getKind(), k -> new ArrayList<>()).add(r);
    }
  }

  /**
   * The fields no type knew, anywhere in {@code root}: the {@code additionalProperties} of every
   * fabric8 object reached through its getters, as path: names.
   */
  static List<String> unknownFields(Object root) {
    List<String> found = new ArrayList<>();
    walk(root, root.getClass().getSimpleName(), found, java.util.Collections.newSetFromMap(new IdentityHashMap<>()));
    return found;
  }

  private static void walk(Object o, String path, List<String> found, Set<Object> seen) {
    if (o == null || !seen.add(o)) {
      return;
    }
    if (o instanceof Collection<?> c) {
      int i = 0;
      for (Object e : c) {
        walk(e, path + "[" + i++ + "]", found, seen);
      }
      return;
    }
    if (o instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        walk(e.getValue(), path + "." + e.getKey(), found, seen);
      }
      return;
    }
    if (!o.getClass().getName().startsWith("io.fabric8.")) {
      return;
    }
    for (Method g : o.getClass().getMethods()) {
      if (g.getParameterCount() != 0 || Modifier.isStatic(g.getModifiers())
          || !g.getDeclaringClass().getName().startsWith("io.fabric8.")
          || !(g.getName().startsWith("get") || g.getName().startsWith("is"))) {
        continue;
      }
      Object v;
      try {
        v = g.invoke(o);
      } catch (IllegalAccessException | InvocationTargetException e) {
        continue;
      }
      if (g.getName().equals("getAdditionalProperties")) {
        if (v instanceof Map<?, ?> extra && !extra.isEmpty()) {
          found.add(path + ": " + extra.keySet());
        }
        continue;
      }
      walk(v, path + "." + g.getName().replaceFirst("^(get|is)", ""), found, seen);
    }
  }

  static <T extends HasMetadata> T one(Class<T> type) {
    List<HasMetadata> all = BY_KIND.getOrDefault(type.getSimpleName(), List.of());
    assertThat(all).as("one %s in deploy/kubernetes", type.getSimpleName()).hasSize(1);
    return type.cast(all.get(0));
  }

  @Test
  void aMisspelledFieldIsCaught() throws IOException {
    JsonNode bad = YAML.readTree("""
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: x}
        spec:
          selector: {matchLabels: {a: b}}
          template:
            metadata: {labels: {a: b}}
            spec:
              contaners: [{name: c, image: i}]
        """);
    HasMetadata r = read(new Document(DIR.resolve("inline.yaml"), 0, bad));
    assertThat(unknownFields(r)).singleElement().asString().contains("contaners");
  }

  @Test
  void everyDocumentIsNamedAndInTheTcpdialNamespace() {
    assertThat(BY_KIND.keySet()).containsExactlyInAnyOrder("Namespace", "ConfigMap", "Service",
        "DaemonSet", "Job", "ServiceMonitor", "Probe");
    for (List<HasMetadata> rs : BY_KIND.values()) {
      for (HasMetadata r : rs) {
        assertThat(r.getMetadata().getName()).as(r.getKind()).isNotBlank();
        if (!(r instanceof Namespace)) {
          assertThat(r.getMetadata().getNamespace()).as(r.getKind() + " " + r.getMetadata().getName())
              .isEqualTo(one(Namespace.class).getMetadata().getName());
        }
      }
    }
  }

  @Test
  void theDaemonSetRunsServeAsTheImageExpects() {
    DaemonSet ds = one(DaemonSet.class);
    assertThat(ds.getSpec().getTemplate().getMetadata().getLabels())
        .containsAllEntriesOf(ds.getSpec().getSelector().getMatchLabels());
    PodSpec pod = ds.getSpec().getTemplate().getSpec();
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getRunAsUser()).as("the image's user").isEqualTo(65532L);
    Container c = pod.getContainers().getFirst();
    assertThat(c.getImage()).isEqualTo("tcpdial:" + VERSION);
    assertThat(c.getArgs()).startsWith("serve").containsSubsequence("--config.file",
        "/etc/tcpdial/serve.yml").containsSubsequence("--web.listen-address", ":9115");
    assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(c.getPorts()).extracting(ContainerPort::getName, ContainerPort::getContainerPort)
        .contains(org.assertj.core.groups.Tuple.tuple("http", 9115));
    assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/-/ready");
    assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/-/healthy");
    // the config volume is the ConfigMap, mounted where --config reads
    assertThat(pod.getVolumes().getFirst().getConfigMap().getName())
        .isEqualTo(one(ConfigMap.class).getMetadata().getName());
    assertThat(c.getVolumeMounts().getFirst().getMountPath()).isEqualTo("/etc/tcpdial");
  }

  @Test
  void theServiceTheServiceMonitorAndTheProbeFindTheExporters() {
    DaemonSet ds = one(DaemonSet.class);
    Service svc = one(Service.class);
    assertThat(ds.getSpec().getTemplate().getMetadata().getLabels())
        .containsAllEntriesOf(svc.getSpec().getSelector());
    ServicePort port = svc.getSpec().getPorts().getFirst();
    assertThat(port.getTargetPort().getStrVal()).as("targetPort names the container's port")
        .isEqualTo("http");

    ServiceMonitor sm = one(ServiceMonitor.class);
    assertThat(svc.getMetadata().getLabels()).containsAllEntriesOf(sm.getSpec().getSelector()
        .getMatchLabels());
    assertThat(sm.getSpec().getNamespaceSelector().getMatchNames())
        .contains(svc.getMetadata().getNamespace());
    List<Endpoint> eps = sm.getSpec().getEndpoints();
    assertThat(eps).extracting(Endpoint::getPort).containsOnly(port.getName());
    assertThat(eps).extracting(Endpoint::getPath).contains("/metrics", "/probe");
    for (Endpoint e : eps) {
      // every scrape is labelled with its node: the vantage point
      assertThat(e.getRelabelings()).anySatisfy(r -> {
        assertThat(r.getSourceLabels()).containsExactly("__meta_kubernetes_pod_node_name");
        assertThat(r.getTargetLabel()).isEqualTo("vantage");
      });
      if (e.getPath().equals("/probe")) {
        assertThat(e.getParams()).containsKeys("module", "target");
        assertThat(e.getRelabelings()).anySatisfy(r -> {
          assertThat(r.getSourceLabels()).containsExactly("__param_target");
          assertThat(r.getTargetLabel()).isEqualTo("instance");
        });
        assertThat(duration(e.getScrapeTimeout())).isLessThanOrEqualTo(duration(e.getInterval()));
      }
    }

    Probe probe = one(Probe.class);
    assertThat(probe.getSpec().getProber().getUrl()).isEqualTo(svc.getMetadata().getName() + "."
        + svc.getMetadata().getNamespace() + ".svc:" + port.getPort());
    assertThat(probe.getSpec().getProber().getPath()).isEqualTo("/probe");
    assertThat(probe.getSpec().getTargets().getStaticConfig().getStatic()).isNotEmpty();
  }

  static Duration duration(String s) {
    return dev.tcpdial.exporter.GoDuration.parse(s);
  }

  @Test
  void theConfigMapsServeYmlServes() throws Exception {
    ConfigMap cm = one(ConfigMap.class);
    Path f = tmp.resolve("serve.yml");
    Files.writeString(f, cm.getData().get("serve.yml"));
    assertThat(ServeYml.serves(f))
        .containsPattern("probe_tcp_outcome\\{errno=\"\",outcome=\"connected\"\\} 1(\\.0)?\n");
  }

  @Test
  void theScanJobsShardsCoverOneToN() {
    Job job = one(Job.class);
    assertThat(job.getSpec().getCompletionMode()).isEqualTo("Indexed");
    int n = job.getSpec().getCompletions();
    assertThat(job.getSpec().getParallelism()).isEqualTo(n);
    Container c = job.getSpec().getTemplate().getSpec().getContainers().getFirst();
    assertThat(c.getImage()).isEqualTo("tcpdial:" + VERSION);
    String script = String.join(" ", c.getArgs());
    // JOB_COMPLETION_INDEX is 0..N-1; --shard takes 1..N
    assertThat(script).contains("tcpdial scan ")
        .contains("--shard \"$((JOB_COMPLETION_INDEX + 1))/" + n + "\"");
    assertThat(job.getSpec().getTemplate().getSpec().getRestartPolicy()).isEqualTo("Never");
    assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
  }

  /** Starts the exporter on loopback with a configuration file and probes it through itself. */
  static final class ServeYml {
    private ServeYml() {}

    /** The /probe answer for the exporter's own address, with {@code f}'s tcp_connect module. */
    static String serves(Path f) throws Exception {
      StringWriter log = new StringWriter();
      Exporter e = new Exporter(new Exporter.Settings(
          new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), f, Duration.ofMillis(500),
          Cidrs.ANY, 16), Resolver.system(), new PrintWriter(log, true));
      try {
        e.start();
        String self = "127.0.0.1:" + e.address().getPort();
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + self
            + "/probe?module=tcp_connect&target=" + self)).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("%s; log: %s", r.body(), log).isEqualTo(200);
        return r.body();
      } finally {
        e.close();
      }
    }
  }
}
