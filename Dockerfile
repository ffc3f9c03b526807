# The gateway image (also used by the simulators service in docker-compose.yml).
FROM node:20-bookworm-slim
# ffmpeg: camera stream checks and live view.
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build:dashboard
ENV NODE_ENV=production DATA_DIR=/data HTTP_PORT=8080 MQTT_PORT=1883
EXPOSE 8080 1883 12120
VOLUME ["/data"]
CMD ["npx", "tsx", "gateway/main.ts"]
