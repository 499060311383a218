use std::path::Path;

use stagecraft_docker::{Context, Ignore};
use stagecraft_engine::BuildRequest;

fn request(repo: &Path, context: &str, dockerfile: Option<&str>) -> BuildRequest {
    BuildRequest {
        service: "web".into(),
        repo: repo.to_path_buf(),
        context: context.into(),
        dockerfile: dockerfile.map(str::to_owned),
        args: vec!["B=2".into(), "A=1".into()],
        target: None,
        tag: "stagecraft/shop/web:1".into(),
        site: None,
    }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn dockerignore_patterns_mean_what_they_mean_to_docker() {
    let ignore = Ignore::parse(
        ".dockerignore",
        "# comment\n\nnode_modules\n/target/\n*.log\n**/*.tmp\ndocs/*\n!docs/keep.md\n./build\n",
    )
    .unwrap();
    for (path, excluded) in [
        ("node_modules", true),
        ("node_modules/left-pad/index.js", true),
        ("src/node_modules", false),
        ("target/debug/app", true),
        ("app.log", true),
        ("logs/app.log", false),
        ("a/b/c.tmp", true),
        ("c.tmp", true),
        ("docs/guide.md", true),
        ("docs/keep.md", false),
        ("docs/deep/file.md", true),
        ("build/out", true),
        ("src/main.rs", false),
    ] {
        assert_eq!(ignore.excludes(path), excluded, "{path}");
    }
}

#[test]
fn a_bad_dockerignore_line_is_named_with_its_file_and_line() {
    let error = Ignore::parse("web/.dockerignore", "ok\n[unclosed\n").unwrap_err();
    assert!(
        error
            .message
            .starts_with("web/.dockerignore:2: `[unclosed`"),
        "{error}"
    );
}

#[test]
fn the_digest_follows_kept_files_and_ignores_ignored_ones_and_arg_order() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    write(&repo.join("web/Dockerfile"), "FROM scratch\nCOPY . /\n");
    write(&repo.join("web/index.html"), "v1");
    write(&repo.join("web/notes.txt"), "draft");
    write(&repo.join("web/cache/big.bin"), "xx");
    write(&repo.join("web/.dockerignore"), "notes.txt\ncache\n");
    let digest = |r: &BuildRequest| {
        Context::collect(r)
            .unwrap()
            .digest(r, &stagecraft_docker::FileHashes::default())
            .unwrap()
    };
    let base = request(repo, "web", None);
    let first = digest(&base);

    let context = Context::collect(&base).unwrap();
    assert!(context.contains("index.html") && context.contains(".dockerignore"));
    assert!(!context.contains("notes.txt") && !context.contains("cache/big.bin"));

    write(&repo.join("web/notes.txt"), "edited");
    write(&repo.join("web/cache/big.bin"), "yy");
    assert_eq!(digest(&base), first, "ignored files do not count");
    let mut reordered = base.clone();
    reordered.args.reverse();
    assert_eq!(digest(&reordered), first, "args are a set");

    write(&repo.join("web/index.html"), "v2");
    assert_ne!(digest(&base), first);
    let mut targeted = base.clone();
    targeted.target = Some("prod".into());
    assert_ne!(digest(&targeted), digest(&base));
}

#[test]
fn a_context_or_dockerfile_outside_the_repository_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    write(&repo.join("Dockerfile"), "FROM scratch\n");
    write(&dir.path().join("secrets/Dockerfile"), "FROM scratch\n");

    let error = Context::collect(&request(&repo, "../secrets", None)).unwrap_err();
    assert!(
        error.message.contains("lies outside the repository"),
        "{error}"
    );
    let error = Context::collect(&request(&repo, ".", Some("../secrets/Dockerfile"))).unwrap_err();
    assert!(
        error.message.contains("lies outside the repository"),
        "{error}"
    );
    let error = Context::collect(&request(&repo, "missing", None)).unwrap_err();
    assert!(error.message.contains("build.context"), "{error}");
}

#[test]
fn a_dockerfile_beside_the_context_is_sent_under_a_name_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    write(&repo.join("docker/web.Dockerfile"), "FROM scratch\n");
    write(&repo.join("web/index.html"), "v1");
    let request = request(repo, "web", Some("../docker/web.Dockerfile"));
    let context = Context::collect(&request).unwrap();
    assert_eq!(context.dockerfile(), ".stagecraft.Dockerfile");
    let tar = context.tar().unwrap();
    let names: Vec<String> = tar::Archive::new(tar.as_slice())
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().display().to_string())
        .collect();
    assert_eq!(
        names,
        ["index.html", ".stagecraft.Dockerfile", ".dockerignore"]
    );
    // As the `docker` command does, `.dockerignore` names it, so the classic builder's
    // `COPY .` leaves it out of the image.
    let ignore = tar::Archive::new(tar.as_slice())
        .entries()
        .unwrap()
        .map(|e| e.unwrap())
        .find(|e| e.path().unwrap().to_string_lossy() == ".dockerignore")
        .map(|mut e| {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut e, &mut text).unwrap();
            text
        })
        .unwrap();
    assert!(
        ignore.lines().any(|l| l == ".stagecraft.Dockerfile"),
        "{ignore}"
    );
}

fn mkfifo(path: &Path) {
    assert!(
        std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .unwrap()
            .success()
    );
}

#[test]
fn pipes_in_a_context_are_sent_as_pipes_and_never_opened() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    write(&repo.join("Dockerfile"), "FROM scratch\n");
    mkfifo(&repo.join("a-pipe"));
    let request = request(repo, ".", None);
    // On a thread: a read of the pipe would wait for ever, and the test must fail, not hang.
    let (sent, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let context = Context::collect(&request).unwrap();
        context
            .digest(&request, &stagecraft_docker::FileHashes::default())
            .unwrap();
        let _ = sent.send(context.tar().unwrap());
    });
    let tar = received
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("the context is read without opening the pipe");
    let kinds: Vec<(String, tar::EntryType)> = tar::Archive::new(tar.as_slice())
        .entries()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.path().unwrap().display().to_string(),
                e.header().entry_type(),
            )
        })
        .collect();
    assert!(
        kinds.contains(&("a-pipe".to_owned(), tar::EntryType::Fifo)),
        "{kinds:?}"
    );
}

#[test]
fn a_dockerfile_or_dockerignore_that_is_a_pipe_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    mkfifo(&repo.join("Dockerfile"));
    let error = Context::collect(&request(repo, ".", None)).unwrap_err();
    assert!(error.message.contains("not a regular file"), "{error}");

    std::fs::remove_file(repo.join("Dockerfile")).unwrap();
    write(&repo.join("Dockerfile"), "FROM scratch\n");
    mkfifo(&repo.join(".dockerignore"));
    let error = Context::collect(&request(repo, ".", None)).unwrap_err();
    assert!(error.message.contains("not a regular file"), "{error}");
}
