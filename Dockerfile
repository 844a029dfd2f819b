# irq-server image. The container must see the host's /proc and /sys to serve real IRQs:
# run it with the host tree mounted at /host and --root /host (see docker-compose.yml).
FROM python:3.11-slim AS build
WORKDIR /src
COPY requirements.txt build.py ./
COPY irq_server irq_server
RUN pip install --no-cache-dir pybuilder==0.13.24 && python build.py

FROM python:3.11-slim
COPY --from=build /src/dist/*.whl /tmp/
RUN pip install --no-cache-dir /tmp/*.whl && rm /tmp/*.whl
VOLUME /var/lib/irq-server
EXPOSE 5000
ENTRYPOINT ["irq-server"]
CMD ["--bind", "0.0.0.0:5000", "--root", "/host", "--data-dir", "/var/lib/irq-server"]
