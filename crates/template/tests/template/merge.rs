use stagecraft_template::{environment_config, load_config, load_template, template_to_yaml};

const TEMPLATE: &str = "app: shop
resources:
  cpu: {limits: 1000m, requests: 100m}
  replicas: 1
environment_templates:
- name: ephemeral
- name: permanent
  resources:
    replicas: 3
  services:
  - name: redis
    image: redis:7-alpine
    memory: {limits: 2Gi}
  - name: search
    image: opensearch:2
  datasets:
  - name: prod-snapshot
services:
- name: web
  image: shop/web
  has_repo: true
- name: redis
  image: redis:7
workflows:
- name: setup
  order_from: [services.all]
- name: teardown
  order_from: [release.remove_environment]
";

#[test]
fn an_ephemeral_environment_takes_the_template_as_it_is() {
    let template = load_template("shop.yaml", TEMPLATE).value.unwrap();
    let config = environment_config(&template, "ephemeral", "shop.yaml").unwrap();
    assert_eq!(config.services, template.services);
    assert_eq!(config.resources, template.resources);
    assert!(
        config.environment_templates.is_empty(),
        "the environment's copy has no variants"
    );
}

#[test]
fn an_environments_own_configuration_reads_back_without_asking_for_environment_templates() {
    let template = load_template("shop.yaml", TEMPLATE).value.unwrap();
    let config = environment_config(&template, "permanent", "shop.yaml").unwrap();
    let yaml = template_to_yaml(&config);
    let reread = load_config("ted1bc4 configuration", &yaml);
    assert!(reread.value.is_some());
    assert_eq!(
        reread.diagnostics.to_string(),
        "",
        "no warning about what making it dropped"
    );
    // Read as an app's template, the same text is told it lacks them.
    let as_template = load_template("shop.yaml", &yaml);
    assert!(
        as_template
            .diagnostics
            .to_string()
            .contains("no `environment_templates`")
    );
}

#[test]
fn a_permanent_environment_merges_maps_by_key_and_named_lists_by_name() {
    let template = load_template("shop.yaml", TEMPLATE).value.unwrap();
    let config = environment_config(&template, "permanent", "shop.yaml").unwrap();

    let resources = config.resources.as_ref().unwrap();
    assert_eq!(resources.replicas, Some(3));
    assert_eq!(
        resources
            .cpu
            .as_ref()
            .unwrap()
            .limits
            .as_ref()
            .unwrap()
            .as_str(),
        "1000m"
    );
    let names: Vec<&str> = config
        .services
        .iter()
        .map(|s| s.name.as_ref().unwrap().as_str())
        .collect();
    assert_eq!(names, ["web", "redis", "search"]);
    let redis = &config.services[1];
    assert_eq!(redis.image.as_ref().unwrap().as_str(), "redis:7-alpine");
    assert_eq!(
        redis
            .memory
            .as_ref()
            .unwrap()
            .limits
            .as_ref()
            .unwrap()
            .as_str(),
        "2Gi"
    );
    assert_eq!(
        config.datasets[0].name.as_ref().unwrap().as_str(),
        "prod-snapshot"
    );
    let yaml = template_to_yaml(&config);
    assert!(
        yaml.contains("- name: search\n  image: opensearch:2\n"),
        "{yaml}"
    );
}

#[test]
fn an_unknown_environment_template_names_the_known_ones() {
    let template = load_template("shop.yaml", TEMPLATE).value.unwrap();
    let error = environment_config(&template, "staging", "shop.yaml").unwrap_err();
    assert_eq!(
        error.to_string(),
        "shop.yaml:1:1: error: environment_templates: no environment template named `staging`: known: ephemeral, permanent\n"
    );
}
