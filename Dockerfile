# syntax=docker/dockerfile:1
# One image for every OneDoor process; the command chooses which one runs:
#   python -m gateway                          (the default)
#   python -m services.<name> serve            desks, products, lessons, partnerships
#   python -m services.<name> migrate seed     one-shot schema upgrade + reference data
# docker-compose.yml and deploy/kubernetes/ set the command per container.

FROM python:3.11.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/onedoor
WORKDIR /app
COPY pyproject.toml constraints.txt ./
COPY contracts ./contracts
COPY shared ./shared
COPY services ./services
COPY gateway ./gateway
RUN /opt/onedoor/bin/pip install -c constraints.txt . \
    && /opt/onedoor/bin/python -m compileall -q /app

FROM python:3.11.11-slim-bookworm
# The image listens on 8000 whatever the process; var/ only holds scratch files
# in production (databases and keys come from the environment), so it lives in
# /tmp and the root filesystem can be mounted read-only.
ENV PATH=/opt/onedoor/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ONEDOOR_HOST=0.0.0.0 \
    ONEDOOR_PORT=8000 \
    ONEDOOR_VAR_DIR=/tmp/onedoor
# /var/lib/onedoor/attachments: where compose keeps the desks' uploaded files (a named
# volume takes this folder's owner); Kubernetes keeps them in S3 instead.
RUN groupadd --system --gid 10001 onedoor \
    && useradd --system --uid 10001 --gid onedoor --no-create-home --shell /usr/sbin/nologin onedoor \
    && install -d -o 10001 -g 10001 /var/lib/onedoor/attachments
COPY --from=build /opt/onedoor /opt/onedoor
# Processes run from the source tree: each service finds its Alembic
# migrations/ next to its code.
COPY --from=build /app /app
WORKDIR /app
USER 10001:10001
EXPOSE 8000
CMD ["python", "-m", "gateway"]
