// A fake of the app for the apps screens' tests: `shop`, outside GitOps, at v3, with one
// environment deployed and one torn down. Each test overrides what it watches.
import type { AppDetailView, AppView, EnvironmentsApi } from "../../ipc";
import { env, fakeApi } from "../environment/fakeApi";

export const shop: AppView = {
  name: "shop",
  repoPath: "/home/dev/src/shop",
  trackingBranch: "main",
  autoDeploy: false,
  imageRegistry: null,
  shareRegistryLogin: false,
  gitops: false,
};

export const shopDetail: AppDetailView = {
  app: shop,
  version: 3,
  environments: [env, { ...env, envId: "told123", branch: "main", status: "tornDown" }],
};

export const shopVariables = "envs:\n- key: DB_PASS\n  value: ••••••\n  secret: true\n";

export function appsApi(overrides: Partial<EnvironmentsApi> = {}): EnvironmentsApi {
  return fakeApi({
    apps: () => Promise.resolve([shop]),
    app: () => Promise.resolve(shopDetail),
    appVariablesFile: () => Promise.resolve({ yaml: shopVariables, follows: null }),
    ...overrides,
  });
}
