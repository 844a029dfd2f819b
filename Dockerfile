# One image with the three commands. It runs irq-server by default; the client and the
# balancer are one --entrypoint away:
#   docker run --rm --network host irq-service --entrypoint irq-client ... irqs
# To serve a real host the container must see the host's /proc and /sys: run it with the
# host tree mounted at /host and --root /host (see docker-compose.yml).
FROM python:3.11-slim AS build
WORKDIR /src
COPY requirements-build.txt build.py project_build.py ./
COPY irq_server irq_server
COPY irq_client irq_client
COPY irqbalance irqbalance
# the same two steps as `make dist` (and `make dist-check` installs what they make)
RUN pip install --no-cache-dir -r requirements-build.txt
RUN python build.py

FROM python:3.11-slim
COPY --from=build /src/dist/*.whl /tmp/wheels/
RUN pip install --no-cache-dir /tmp/wheels/*.whl && rm -r /tmp/wheels
VOLUME /var/lib/irq-server
EXPOSE 5000
ENTRYPOINT ["irq-server"]
CMD ["--bind", "0.0.0.0:5000", "--root", "/host", "--data-dir", "/var/lib/irq-server"]
