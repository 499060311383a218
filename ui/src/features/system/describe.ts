// Words for the System screen, kept out of the component so they are tested on their own.
import type { ClusterMadeBy, DataDirOrigin, DockerStatus, EndpointSource } from "../../ipc";

export function endpointOrigin(source: EndpointSource): string {
  switch (source) {
    case "dockerHost":
      return "from DOCKER_HOST";
    case "dockerContext":
      return "the current Docker context";
    case "platformDefault":
      return "platform default";
    case "dockerDesktop":
      return "Docker Desktop's socket";
    case "colima":
      return "Colima's socket";
    case "podman":
      return "Podman's Docker-compatible socket";
    case "explicit":
      return "set by the caller";
  }
}

export function dataDirOrigin(source: DataDirOrigin): string {
  switch (source) {
    case "env":
      return "from STAGECRAFT_DATA_DIR";
    case "platform":
      return "platform default";
    case "explicit":
      return "set by the caller";
  }
}

/** "Docker Engine - Community 20.10.24 · API 1.41 · linux/amd64" */
export function engineSummary(status: Extract<DockerStatus, { state: "reachable" }>): string {
  const product = status.platform ? `${status.platform} ${status.version}` : status.version;
  return `${product} · API ${status.apiVersion} · ${status.os}/${status.arch}`;
}

/** A UTC timestamp from the store, shown in the user's own locale and time zone. */
export function localTime(rfc3339: string, locale?: string): string {
  const date = new Date(rfc3339);
  if (Number.isNaN(date.getTime())) return rfc3339;
  return date.toLocaleString(locale, { dateStyle: "medium", timeStyle: "short" });
}

/** The tool that made a cluster, by its own name. */
export function madeBy(kind: ClusterMadeBy): string {
  switch (kind) {
    case "kind":
      return "kind";
    case "minikube":
      return "minikube";
    case "k3d":
      return "k3d";
    case "dockerDesktop":
      return "Docker Desktop";
    case "other":
      return "—";
  }
}

/** How images Stagecraft builds will reach a cluster's nodes. */
export function imagesReach(kind: ClusterMadeBy): string {
  switch (kind) {
    case "kind":
      return "Built images are loaded into its nodes (kind load docker-image)";
    case "minikube":
      return "Built images are loaded into its node (minikube image load)";
    case "k3d":
      return "Built images are imported into its nodes (k3d image import)";
    case "dockerDesktop":
      return "It runs on Docker Desktop's engine and sees the images built there";
    case "other":
      return "Built images reach it through a registry the app names";
  }
}

/** An operating system, as the System screen tells how to get a Docker engine on it. */
export type Os = "linux" | "macos" | "windows";

/** The OS the window runs on, from the webview's own user agent. */
export function currentOs(userAgent: string = navigator.userAgent): Os {
  if (/Windows/i.test(userAgent)) return "windows";
  if (/Mac OS X|Macintosh/i.test(userAgent)) return "macos";
  return "linux";
}

/** How to get a Docker engine on `os`, in order of preference: any of them will do. */
export function dockerInstallSteps(os: Os): { name: string; how: string }[] {
  switch (os) {
    case "linux":
      return [
        {
          name: "Docker Engine",
          how: "sudo apt-get install docker.io (Debian, Ubuntu) or your distribution's docker package, then sudo systemctl enable --now docker and add yourself to the docker group (sudo usermod -aG docker $USER; log in again)",
        },
        {
          name: "Podman",
          how: "install podman, then systemctl --user enable --now podman.socket: Stagecraft finds its Docker-compatible socket",
        },
      ];
    case "macos":
      return [
        { name: "Docker Desktop", how: "install it from docker.com and start it once" },
        {
          name: "Colima",
          how: "brew install colima docker, then colima start: Stagecraft finds its socket",
        },
        {
          name: "Podman",
          how: "brew install podman, then podman machine init and podman machine start",
        },
      ];
    case "windows":
      return [
        {
          name: "Docker Desktop",
          how: "install it from docker.com (it sets up WSL 2) and start it once",
        },
        {
          name: "Podman Desktop",
          how: "install it, create a machine, and turn on its Docker compatibility",
        },
      ];
  }
}

export const OS_NAMES: Record<Os, string> = { linux: "Linux", macos: "macOS", windows: "Windows" };
