-- Where the app's built images are pushed for a cluster that pulls them (`host[:port]/path`):
-- NULL until the user names one. Local clusters (kind, k3d, minikube, Docker Desktop) never
-- need it.
ALTER TABLE app ADD COLUMN image_registry TEXT;
