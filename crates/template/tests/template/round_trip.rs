//! Values that are easy to write back wrongly: each must read back as it was.

use stagecraft_template::{parse_template, template_to_yaml};

#[track_caller]
fn round_trips(text: &str) {
    let first = parse_template("in.yaml", text);
    assert!(!first.diagnostics.has_errors(), "{}", first.diagnostics);
    let first = first.value.unwrap();
    let yaml = template_to_yaml(&first);
    let second = parse_template("out.yaml", &yaml);
    assert!(
        !second.diagnostics.has_errors(),
        "{}\n{yaml}",
        second.diagnostics
    );
    assert_eq!(second.value.unwrap(), first, "written back as:\n{yaml}");
}

#[test]
fn scalars_that_look_like_indicators_or_other_types() {
    round_trips(
        "app: ':00m'\ncontext: :00m\ndomain: '80'\nmode: 80\nrepo_name: 'true'\ntracking_branch: 'yes'\ntracking_tag: '~'\n",
    );
    round_trips("app: 'a: b'\ncontext: 'x #y'\ndomain: '#x'\nmode: '- x'\nrepo_name: ' padded '\n");
    round_trips(
        "app: \"tab\\there\"\ncontext: \"line\\nbreak\"\ndomain: 'it''s'\nmode: \"back\\\\slash\"\n",
    );
    round_trips(
        "app: ünïcödé ✓\ncontext: '*not-an-alias'\ndomain: '&not-an-anchor'\nmode: '@at'\n",
    );
}

#[test]
fn lists_of_arguments_and_nested_records() {
    round_trips(
        "services:\n- name: web\n  image: nginx\n  args: [--config=/etc/x, '--flag', '-1', -v, '']\n  command: []\n  envs:\n  - {key: EMPTY, value: ''}\n  - {key: NULLISH, value: 'null'}\n",
    );
}

#[test]
fn unknown_keys_of_any_shape_survive() {
    round_trips(
        "x-custom:\n  nested: [1, {a: b}, [c]]\n  empty_map: {}\n  empty_list: []\nservices:\n- name: web\n  image: nginx\n  sidecar_hint: {enabled: true}\n",
    );
}

#[test]
fn nulls_in_lists_stay_null() {
    round_trips(
        "services:\n- name: web\n  image: nginx\n  args: [~, null, '', a]\n  command:\n  -\n  - b\n",
    );
}

#[test]
fn unknown_plain_text_with_tabs_and_quotes_survives() {
    // Found by the fuzzer: an unknown key's plain value that must be written quoted.
    round_trips("d:\n   A\t\t   context:`\".  e.remove\nservices: [{name: web, image: nginx}]\n");
}

#[test]
fn nulls_under_unknown_keys_stay_null() {
    round_trips("x-build:\n  args:\n  -\n  - ~\n  - null\nservices: [{name: web, image: nginx}]\n");
}
