//! `stagecraft auth token create|list|revoke`: the tokens the HTTP API of `stagecraft serve`
//! takes (as `X-User-Token`, or `Authorization: Bearer`). A token is shown once, when made;
//! only its hash is kept.

use clap::Subcommand;
use stagecraft_api::{Error, Stagecraft};

use crate::Output;
use crate::output::{structured, table};

#[derive(Debug, Subcommand)]
pub(crate) enum Auth {
    /// Release's `auth login`, accepted so its scripts run unchanged: the command needs no
    /// login on this machine (the HTTP API takes tokens from `auth token create`).
    Login {
        #[arg(long)]
        login: Option<String>,
        #[arg(long)]
        token: Option<String>,
        #[arg(long)]
        headless: bool,
    },
    /// The HTTP API's tokens.
    Token {
        #[command(subcommand)]
        command: Token,
    },
    /// The API's last requests (newest first), with their status, time and token, and how many
    /// were refused for want of a valid token.
    Requests {
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum Token {
    /// Makes a token named NAME (what it is for: `ci`, `laptop`) and prints it, once.
    Create { name: String },
    /// Every token (never the token itself), revoked ones too, with its last use.
    List,
    /// Revokes token NAME: every request with it is refused from now on.
    Revoke { name: String },
}

pub(crate) async fn execute(
    stagecraft: &Stagecraft,
    command: Auth,
    output: Output,
) -> Result<u8, Error> {
    let command = match command {
        Auth::Token { command } => command,
        Auth::Login { .. } => {
            eprintln!(
                "stagecraft needs no login: the command works on this machine's own data (the \
                 HTTP API of `stagecraft serve` takes tokens made by `stagecraft auth token \
                 create`)"
            );
            return Ok(0);
        }
        Auth::Requests { limit } => {
            let (requests, refused) = stagecraft.api_requests(limit).await?;
            match output {
                Output::Table => {
                    table(
                        &["AT", "METHOD", "PATH", "STATUS", "MS", "TOKEN"],
                        &requests
                            .iter()
                            .map(|r| {
                                vec![
                                    r.at.clone(),
                                    r.method.clone(),
                                    r.path.clone(),
                                    r.status.to_string(),
                                    r.millis.to_string(),
                                    r.token.clone().unwrap_or_else(|| "-".to_owned()),
                                ]
                            })
                            .collect::<Vec<_>>(),
                    );
                    eprintln!("refused for want of a valid token: {refused}");
                }
                _ => structured(
                    &serde_json::json!({"requests": requests, "refused": refused}),
                    output,
                ),
            }
            return Ok(0);
        }
    };
    match command {
        Token::Create { name } => {
            let made = stagecraft.create_api_token(&name).await?;
            match output {
                Output::Table => {
                    crate::output::raw(&format!("{}\n", made.token));
                    eprintln!(
                        "token {} made: it is shown this once; send it as X-User-Token to the \
                         API of `stagecraft serve`",
                        made.name
                    );
                }
                _ => structured(&made, output),
            }
        }
        Token::List => {
            let tokens = stagecraft.api_tokens().await?;
            match output {
                Output::Table => table(
                    &["NAME", "STARTS WITH", "CREATED", "LAST USED", "REVOKED"],
                    &tokens
                        .iter()
                        .map(|t| {
                            vec![
                                t.name.clone(),
                                format!("{}…", t.prefix),
                                t.created_at.clone(),
                                t.last_used_at.clone().unwrap_or_else(|| "-".to_owned()),
                                t.revoked_at.clone().unwrap_or_else(|| "-".to_owned()),
                            ]
                        })
                        .collect::<Vec<_>>(),
                ),
                _ => structured(&tokens, output),
            }
        }
        Token::Revoke { name } => {
            stagecraft.revoke_api_token(&name).await?;
            eprintln!("token {name} revoked");
        }
    }
    Ok(0)
}
