// deploy/: every YAML file parses; deploy/compose: two replicas on postgres with the fakes, every
// service with a health check, dependencies waiting for health, the replicas' checks on the health
// routes of their own listen port, build targets the Dockerfile has, bind mounts that exist, and
// the replicas' patchbay.yaml passing `patchbay check-config`. Nothing is started here (no Docker).
#include <gtest/gtest.h>

#include "deploy_files.hpp"

namespace {
using namespace deploytest;

TEST(DeployFiles, EveryYamlParses) {
  const auto files = deploy_yaml_files();
  EXPECT_GE(files.size(), 7U);  // kubernetes: 4 objects and the example Secret; compose: 2
  for (const auto& f : files) {
    std::vector<YAML::Node> docs;
    try {
      docs = YAML::LoadAllFromFile(f.string());
    } catch (const YAML::Exception& e) {
      ADD_FAILURE() << f << ": " << e.what();
      continue;
    }
    EXPECT_FALSE(docs.empty()) << f;
    for (const auto& d : docs) EXPECT_TRUE(d.IsMap()) << f << ": a document is not a map";
  }
  EXPECT_THROW(YAML::Load("a: [1, 2"), YAML::Exception);  // the parser does refuse bad YAML
}

struct compose {
  fs::path dir = source_dir() / "deploy" / "compose";
  YAML::Node services;
  std::vector<std::string> replicas;             // services that run `patchbay run`
  std::map<std::string, std::string> config_of;  // replica -> the file its `run -c` reads

  compose() {
    services = YAML::LoadFile((dir / "compose.yaml").string())["services"];
    if (!services.IsMap()) return;
    for (const auto& s : services) {
      const auto spec = s.second;
      std::string line;
      for (const char* k : {"entrypoint", "command"})
        for (const auto& part : at(spec, {k})) line += part.as<std::string>() + " ";
      const auto run = line.find("patchbay run -c ");
      if (run == std::string::npos) continue;
      const auto file = run + std::string("patchbay run -c ").size();
      replicas.push_back(s.first.as<std::string>());
      config_of[replicas.back()] = line.substr(file, line.find(' ', file) - file);
    }
  }
  std::string env(const std::string& svc, const std::string& name) const {
    return at(services, {svc, "environment", name}).as<std::string>("");
  }
};

TEST(DeployCompose, TwoReplicasOnPostgresWaitForHealthyDependencies) {
  compose c;
  ASSERT_TRUE(c.services.IsMap());
  EXPECT_EQ(at(c.services, {"postgres", "image"}).as<std::string>(""), "postgres:15");
  ASSERT_EQ(c.replicas.size(), 2U);
  const std::string dockerfile = pbtest::read_file((source_dir() / "Dockerfile").string());
  for (const auto& s : c.services) {
    const auto name = s.first.as<std::string>();
    const auto spec = s.second;
    EXPECT_TRUE(at(spec, {"healthcheck", "test"}).IsSequence()) << name << " has no health check";
    if (const auto target = at(spec, {"build", "target"}); target.IsScalar()) {
      EXPECT_NE(dockerfile.find(" AS " + target.as<std::string>() + "\n"), std::string::npos)
          << name << " builds a target the Dockerfile lacks";
    }
    for (const auto& dep : at(spec, {"depends_on"})) {
      const auto on = dep.first.as<std::string>();
      EXPECT_TRUE(at(c.services, {on}).IsMap()) << name << " depends on a missing service " << on;
      EXPECT_EQ(at(dep.second, {"condition"}).as<std::string>(""), "service_healthy") << name;
    }
    for (const auto& v : at(spec, {"volumes"})) {
      const auto from = v.as<std::string>().substr(0, v.as<std::string>().find(':'));
      if (from.rfind("./", 0) == 0) {
        EXPECT_TRUE(fs::exists(c.dir / from)) << name << " mounts a missing " << from;
      }
    }
  }
  std::set<std::string> ports;
  for (const auto& r : c.replicas) {
    EXPECT_TRUE(at(c.services, {r, "depends_on", "postgres"}).IsMap()) << r;
    const auto port = listen_port(c.env(r, "PATCHBAY_LISTEN"));
    EXPECT_TRUE(ports.insert(port).second) << r << " listens on a port another replica uses";
    std::string check;
    for (const auto& part : at(c.services, {r, "healthcheck", "test"}))
      check += part.as<std::string>() + " ";
    const std::string base = "http://127.0.0.1:" + port;
    const auto pos = check.find(base + "/");
    ASSERT_NE(pos, std::string::npos) << r << " checks another port: " << check;
    const auto start = pos + base.size();
    const auto route = check.substr(start, check.find(' ', start) - start);
    EXPECT_EQ(route, "/readyz") << r << ": traffic waits for readiness, not liveness";
    EXPECT_TRUE(host_serves(route)) << r << ": no such route " << route;
  }
}

TEST(DeployCompose, ReplicaConfigValidates) {
  compose c;
  ASSERT_EQ(c.replicas.size(), 2U);
  const auto config = c.dir / "patchbay.yaml";
  for (const auto& r : c.replicas) {  // each replica runs on that file
    bool mounted = false;
    for (const auto& v : at(c.services, {r, "volumes"}))
      mounted = mounted || v.as<std::string>().rfind("./patchbay.yaml:" + c.config_of[r], 0) == 0;
    EXPECT_TRUE(mounted) << r << " does not run on ./patchbay.yaml";
  }
  const std::string text = pbtest::read_file(config.string());
  EXPECT_EQ(at(YAML::Load(text), {"host", "state", "engine"}).as<std::string>(""), "postgres");
  // Each reference comes from the replica's environment or from what fakes.sh writes.
  const std::string fakes = pbtest::read_file((c.dir / "fakes.sh").string());
  std::map<std::string, std::string> env;
  for (const auto& name : required_env(text)) {
    bool from_compose = true;
    for (const auto& r : c.replicas) from_compose = from_compose && !c.env(r, name).empty();
    EXPECT_TRUE(from_compose || fakes.find("echo \"" + name + "='") != std::string::npos)
        << "nothing sets ${" << name << "} for the replicas";
    env[name] = name == "PATCHBAY_LISTEN" ? c.env(c.replicas[0], name) : "placeholder-" + name;
  }
  EXPECT_TRUE(env.count("PATCHBAY_PG_URL"));
  auto r = check_config(config, env);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("OK (4 channel(s), 1 agent(s))"), std::string::npos) << r.out;
}

}  // namespace
