//! The ingress's own answers, when no service can: an unknown hostname, a path no route of
//! its host takes, a service that does not answer (starting, stopped, crashed). Each says
//! what happened and what to do, in HTML for a browser and plain text for everything else.

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE, HeaderMap, HeaderValue};
use hyper::{Response, StatusCode};

use crate::proxy::Body;

/// The header that marks an answer as the ingress's own, not a service's.
pub const FROM_INGRESS: &str = stagecraft_api::INGRESS_HEADER;

/// An answer of the ingress's: `title`, then `lines` (what happened, what to do).
pub(crate) fn page(
    status: StatusCode,
    request: &HeaderMap,
    title: &str,
    lines: &[String],
) -> Response<Body> {
    let html = request
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let (body, kind) = if html {
        let items: String = lines
            .iter()
            .map(|l| format!("<p>{}</p>\n", escape(l)))
            .collect();
        (
            format!(
                "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
                 <title>{title} · Stagecraft</title>\
                 <style>body{{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:4em auto;\
                 padding:0 1em;color:#1f2328}}h1{{font-size:1.4em}}code{{background:#f2f2f2;\
                 padding:0 .25em}}small{{color:#59636e}}</style></head>\n<body><h1>{title}</h1>\n\
                 {items}<p><small>Stagecraft's local ingress, status {status}</small></p>\
                 </body></html>\n",
                title = escape(title),
                status = status.as_u16(),
            ),
            "text/html; charset=utf-8",
        )
    } else {
        (
            format!("{title}\n\n{}\n", lines.join("\n")),
            "text/plain; charset=utf-8",
        )
    };
    let mut response = Response::new(
        Full::new(Bytes::from(body))
            .map_err(|never| match never {})
            .boxed(),
    );
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(kind));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(FROM_INGRESS, HeaderValue::from_static("error"));
    response
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
