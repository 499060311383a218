//! Running one of the commands that open Stagecraft: the request they make, the runtime and
//! engine connections they run on, and the hand-off to each resource module's `execute`.

use std::path::PathBuf;
use std::sync::Arc;

use stagecraft_api::{Error, Settings, Stagecraft};

use crate::Output;
use crate::apps::{self, Apps};
use crate::auth::{self, Auth};
use crate::builds::{self, Builds};
use crate::cron::{self, Cron};
use crate::datasets::{self, Datasets};
use crate::deploys::{self, Deploys};
use crate::environments::{self, Environments};
use crate::instances::{self, Instances};
use crate::presets::{self, Presets};
use crate::workflows::{self, Workflows};

/// A command that opens Stagecraft, by the resource it is about.
pub(crate) enum Request {
    Apps(Apps),
    Environments(Environments),
    Presets(Presets),
    Datasets(Datasets),
    Deploys(Deploys),
    Builds(Builds),
    Instances(Instances),
    Workflows(Workflows),
    Cron(Cron),
    /// `serve`, with the clock's period and where the API listens.
    Serve(crate::serve::Serve),
    Auth(Auth),
    Ingress(crate::ingress::Ingress),
}

impl Request {
    /// Whether the command talks to the Docker engine: then the connection is made while the
    /// command reads the database, not after.
    fn uses_docker(&self) -> bool {
        match self {
            Request::Apps(command) => command.uses_docker(),
            Request::Environments(command) => command.uses_docker(),
            Request::Presets(_) => false,
            // Taking one reads the environment's volumes through the engine.
            Request::Datasets(_) => true,
            Request::Deploys(command) => command.uses_docker(),
            Request::Builds(command) => command.uses_docker(),
            Request::Instances(command) => command.uses_docker(),
            Request::Workflows(command) => command.uses_docker(),
            Request::Cron(command) => command.uses_docker(),
            // Its deploys do; the clock takes its time.
            Request::Serve(_) => true,
            Request::Auth(_) | Request::Ingress(_) => false,
        }
    }
}

pub(crate) fn run(request: Request, output: Output) -> Result<u8, Error> {
    // A command is one thing at a time; `serve` answers many API clients at once besides its
    // clock and deploys, on every core.
    let mut builder = if matches!(request, Request::Serve(_)) {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let runtime = builder
        .enable_all()
        .build()
        .map_err(|source| Error::ReadFile {
            path: PathBuf::from("<tokio runtime>"),
            source,
        })?;
    runtime.block_on(async move {
        let mut stagecraft = Stagecraft::open(Settings::from_env()?).await?;
        stagecraft.use_docker();
        stagecraft.use_kubernetes();
        if request.uses_docker() {
            stagecraft.connect_docker_soon();
        }
        let stagecraft = Arc::new(stagecraft);
        let status = execute(&stagecraft, request, output).await;
        stagecraft.close().await;
        status
    })
}

async fn execute(
    stagecraft: &Arc<Stagecraft>,
    request: Request,
    output: Output,
) -> Result<u8, Error> {
    match request {
        Request::Apps(command) => apps::execute(stagecraft, command, output).await,
        Request::Environments(command) => environments::execute(stagecraft, command, output).await,
        Request::Presets(command) => presets::execute(stagecraft, command, output).await,
        Request::Datasets(command) => datasets::execute(stagecraft, command, output).await,
        Request::Deploys(command) => deploys::execute(stagecraft, command, output).await,
        Request::Builds(command) => builds::execute(stagecraft, command, output).await,
        Request::Instances(command) => instances::execute(stagecraft, command, output).await,
        Request::Workflows(command) => workflows::execute(stagecraft, command, output).await,
        Request::Cron(command) => cron::execute(stagecraft, command, output).await,
        Request::Serve(serve) => crate::serve::execute(stagecraft, serve).await,
        Request::Auth(command) => auth::execute(stagecraft, command, output).await,
        Request::Ingress(command) => crate::ingress::execute(stagecraft, command, output).await,
    }
}
