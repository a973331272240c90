// deploy/kubernetes: the manifests parse, the Deployment's probes ask the health routes the host
// serves on the port the configuration listens on, every ${NAME} the ConfigMap's patchbay.yaml
// needs comes from the Deployment's environment (the Secret's keys), and that patchbay.yaml passes
// `patchbay check-config` with exactly that environment. Nothing is deployed here.
#include <gtest/gtest.h>

#include "deploy_files.hpp"

namespace {
using namespace deploytest;

struct manifests {
  std::map<std::string, YAML::Node> by_kind;  // one object of each kind
  YAML::Node container;                       // the Deployment's patchbay container
  std::string config_text;                    // the ConfigMap's patchbay.yaml
  YAML::Node config;

  manifests() {
    for (auto& d : documents_under("kubernetes")) {
      const auto kind = d["kind"].as<std::string>("");
      EXPECT_FALSE(by_kind.count(kind)) << "two objects of kind " << kind;
      by_kind[kind] = d;
    }
    for (const char* k : {"Deployment", "Service", "PodDisruptionBudget", "ConfigMap", "Secret"})
      if (!by_kind.count(k)) ADD_FAILURE() << "deploy/kubernetes has no " << k;
    auto containers = at(by_kind["Deployment"], {"spec", "template", "spec", "containers"});
    if (containers.IsSequence() && containers.size() == 1) container = containers[0];
    config_text = at(by_kind["ConfigMap"], {"data", "patchbay.yaml"}).as<std::string>("");
    if (!config_text.empty()) config = YAML::Load(config_text);
  }

  YAML::Node pod() const { return by_kind.at("Deployment")["spec"]["template"]["spec"]; }

  // The Deployment's environment with each secretKeyRef resolved in the example Secret.
  std::map<std::string, std::string> environment() const {
    std::map<std::string, std::string> env;
    const auto secret = by_kind.at("Secret");
    for (const auto& e : container["env"]) {
      const auto name = e["name"].as<std::string>();
      if (e["value"].IsDefined()) {
        env[name] = e["value"].as<std::string>();
        continue;
      }
      const auto ref = at(e, {"valueFrom", "secretKeyRef"});
      EXPECT_TRUE(ref.IsMap()) << name << " is neither a value nor a secretKeyRef";
      if (!ref.IsMap()) continue;
      EXPECT_EQ(ref["name"].as<std::string>(""), secret["metadata"]["name"].as<std::string>(""))
          << name;
      const auto key = ref["key"].as<std::string>("");
      const auto value = at(secret, {"stringData", key});
      EXPECT_TRUE(value.IsScalar()) << name << ": the example Secret has no key " << key;
      if (value.IsScalar()) env[name] = value.as<std::string>();
    }
    return env;
  }
};

TEST(DeployKubernetes, ObjectsAreNamespaceFreeAndSelectTheSamePods) {
  manifests m;
  ASSERT_TRUE(m.container.IsMap()) << "the Deployment needs exactly one container";
  for (const auto& [kind, obj] : m.by_kind) {
    EXPECT_TRUE(obj["apiVersion"].IsScalar()) << kind;
    EXPECT_TRUE(obj["metadata"]["name"].IsScalar()) << kind;
    EXPECT_FALSE(at(obj, {"metadata", "namespace"}).IsDefined()) << kind << " names a namespace";
  }
  const auto deploy = m.by_kind["Deployment"];
  EXPECT_GE(deploy["spec"]["replicas"].as<int>(0), 2);
  const auto labels = deploy["spec"]["template"]["metadata"]["labels"];
  auto selects_pods = [&](const YAML::Node& selector, const std::string& what) {
    ASSERT_TRUE(selector.IsMap() && selector.size() > 0) << what << " selects nothing";
    for (const auto& kv : selector)
      EXPECT_EQ(labels[kv.first.as<std::string>()].as<std::string>(""), kv.second.as<std::string>())
          << what << " selects pods the Deployment does not label";
  };
  selects_pods(deploy["spec"]["selector"]["matchLabels"], "the Deployment");
  selects_pods(m.by_kind["Service"]["spec"]["selector"], "the Service");
  selects_pods(m.by_kind["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"], "the PDB");
  const auto pdb = m.by_kind["PodDisruptionBudget"]["spec"];
  EXPECT_TRUE(at(pdb, {"minAvailable"}).IsDefined() || at(pdb, {"maxUnavailable"}).IsDefined());
  bool config_mounted = false;
  for (const auto& v : m.pod()["volumes"])
    config_mounted =
        config_mounted || at(v, {"configMap", "name"}).as<std::string>("") ==
                              m.by_kind["ConfigMap"]["metadata"]["name"].as<std::string>();
  EXPECT_TRUE(config_mounted) << "the pod does not mount the ConfigMap";
  // The example Secret holds placeholders, never a credential.
  for (const auto& kv : m.by_kind["Secret"]["stringData"]) {
    const auto value = kv.second.as<std::string>();
    EXPECT_TRUE(value.find("CHANGE_ME") != std::string::npos ||
                value.find(".example.") != std::string::npos)
        << kv.first.as<std::string>() << " is not a placeholder";
  }
}

TEST(DeployKubernetes, ProbesAskTheHealthRoutesOnTheListenPort) {
  manifests m;
  ASSERT_TRUE(m.container.IsMap());
  ASSERT_TRUE(m.config.IsMap());
  const auto port = listen_port(m.config["host"]["listen"].as<std::string>(""));
  ASSERT_FALSE(port.empty());
  std::map<std::string, std::string> ports;  // name -> containerPort
  for (const auto& p : m.container["ports"])
    ports[p["name"].as<std::string>("")] = p["containerPort"].as<std::string>("");
  const std::map<std::string, std::string> expected{
      {"readinessProbe", "/readyz"}, {"livenessProbe", "/healthz"}, {"startupProbe", "/healthz"}};
  for (const auto& [probe, path] : expected) {
    const auto get = m.container[probe]["httpGet"];
    ASSERT_TRUE(get.IsMap()) << probe << " is not an httpGet probe";
    EXPECT_EQ(get["path"].as<std::string>(""), path) << probe;
    EXPECT_TRUE(host_serves(get["path"].as<std::string>(""))) << probe << ": no such route";
    const auto p = get["port"].as<std::string>("");
    EXPECT_EQ(ports.count(p) ? ports[p] : p, port)
        << probe << " asks another port than host.listen";
  }
  const auto target = m.by_kind["Service"]["spec"]["ports"][0]["targetPort"].as<std::string>("");
  EXPECT_EQ(ports.count(target) ? ports[target] : target, port);
  EXPECT_FALSE(host_serves("/nosuch"));  // the route check itself can fail
}

TEST(DeployKubernetes, PodIsLockedDownAndDrainsWithinItsGracePeriod) {
  manifests m;
  ASSERT_TRUE(m.container.IsMap());
  ASSERT_TRUE(m.config.IsMap());
  const auto pod = m.pod();
  const auto sc = at(m.container, {"securityContext"});
  EXPECT_TRUE(at(pod, {"securityContext", "runAsNonRoot"}).as<bool>(false));
  EXPECT_TRUE(at(sc, {"readOnlyRootFilesystem"}).as<bool>(false));
  EXPECT_FALSE(at(sc, {"allowPrivilegeEscalation"}).as<bool>(true));
  for (const char* k : {"requests", "limits"})
    for (const char* r : {"cpu", "memory"})
      EXPECT_TRUE(at(m.container, {"resources", k, r}).IsScalar()) << "resources." << k << "." << r;

  // SIGTERM comes after preStop; the host's drain must end before the grace period does.
  long long pre_stop_s = 0;
  const auto cmd = at(m.container, {"lifecycle", "preStop", "exec", "command"});
  if (cmd.IsSequence() && cmd.size() == 2 && cmd[0].as<std::string>() == "sleep")
    pre_stop_s = cmd[1].as<long long>();
  const auto drain_ms = at(m.config, {"host", "shutdown_timeout_ms"}).as<long long>(10000);
  const auto grace_s = at(pod, {"terminationGracePeriodSeconds"}).as<long long>(30);
  EXPECT_LT(pre_stop_s * 1000 + drain_ms, grace_s * 1000);

  // With a read-only root, what the host writes must be on an emptyDir.
  std::set<std::string> empty_dirs;
  for (const auto& v : pod["volumes"])
    if (v["emptyDir"].IsDefined()) empty_dirs.insert(v["name"].as<std::string>());
  auto writable = [&](const std::string& path) {
    for (const auto& mnt : m.container["volumeMounts"]) {
      const auto at = mnt["mountPath"].as<std::string>() + "/";
      if (empty_dirs.count(mnt["name"].as<std::string>()) && (path + "/").rfind(at, 0) == 0)
        return true;
    }
    return false;
  };
  const auto cache = at(m.config, {"host", "media", "cache_dir"}).as<std::string>("");
  EXPECT_FALSE(cache.empty()) << "host.media.cache_dir would default beside the read-only config";
  EXPECT_TRUE(writable(cache)) << cache;
  EXPECT_TRUE(writable("/tmp"));
  EXPECT_FALSE(writable("/etc/patchbay"));
}

TEST(DeployKubernetes, ConfigMapConfigValidatesWithTheDeploymentsEnvironment) {
  manifests m;
  ASSERT_TRUE(m.container.IsMap());
  ASSERT_TRUE(m.config.IsMap());
  EXPECT_EQ(m.config["host"]["state"]["engine"].as<std::string>(""), "postgres");
  const auto env = m.environment();
  const auto needed = required_env(m.config_text);
  EXPECT_TRUE(needed.count("PATCHBAY_PG_URL"));
  for (const auto& name : needed)
    EXPECT_TRUE(env.count(name)) << "patchbay.yaml needs ${" << name
                                 << "}, which the Deployment does not set";
  for (const auto& [name, value] : env)
    EXPECT_NE(m.config_text.find("${" + name), std::string::npos)
        << "the Deployment sets " << name << ", which patchbay.yaml does not read";

  const auto file = write_temp("configmap.yaml", m.config_text);
  auto r = check_config(file, env);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("OK (4 channel(s), 1 agent(s))"), std::string::npos) << r.out;
  // The check reads that environment: an empty database URL is refused.
  auto without = env;
  without["PATCHBAY_PG_URL"] = "";
  r = check_config(file, without);
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("host.state.url"), std::string::npos) << r.err;
  fs::remove(file);
}

}  // namespace
