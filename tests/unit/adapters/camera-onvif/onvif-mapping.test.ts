import { describe, expect, it } from 'vitest';
import { cameraOnvifConfig, parseDeviceOptions } from '../../../../adapters/camera-onvif/config.js';
import { CAMERA_ERRORS, classifyOnvifError } from '../../../../adapters/camera-onvif/errors.js';
import { classifyNotification } from '../../../../adapters/camera-onvif/events.js';
import { redactUrl, withCredentials } from '../../../../adapters/camera-onvif/media-probe.js';
import { toNotifications, toProfiles } from '../../../../adapters/camera-onvif/onvif-client.js';

describe('onvif client result mapping', () => {
  it('reads notification messages as the onvif library parses them (one or many)', () => {
    const utc = new Date('2026-11-23T01:02:03Z');
    const one = {
      currentTime: utc,
      notificationMessage: {
        topic: { _: 'tns1:VideoSource/SignalLoss', $: { Dialect: 'http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet' } },
        message: {
          message: {
            $: { UtcTime: utc, PropertyOperation: 'Changed' },
            source: { simpleItem: { $: { Name: 'VideoSourceToken', Value: 'VideoSource_1' } } },
            data: { simpleItem: { $: { Name: 'State', Value: true } } },
          },
        },
      },
    };
    expect(toNotifications(one)).toStrictEqual([
      { topic: 'tns1:VideoSource/SignalLoss', operation: 'Changed', at: utc.getTime(), source: { VideoSourceToken: 'VideoSource_1' }, data: { State: 'true' } },
    ]);
    const many = { notificationMessage: [one.notificationMessage, { topic: 'tns1:Device/Trigger/DigitalInput', message: { message: { data: { simpleItem: [{ $: { Name: 'LogicalState', Value: false } }] } } } }] };
    expect(toNotifications(many).map((n) => [n.topic, n.data])).toStrictEqual([
      ['tns1:VideoSource/SignalLoss', { State: 'true' }],
      ['tns1:Device/Trigger/DigitalInput', { LogicalState: 'false' }],
    ]);
    expect([toNotifications({}), toNotifications(undefined), toNotifications({ notificationMessage: { message: {} } })]).toStrictEqual([[], [], []]);
  });

  it('reads profiles, skipping ones without a token', () => {
    const raw = [
      { $: { token: 'main', fixed: true }, name: 'mainStream', videoEncoderConfiguration: { encoding: 'H264', resolution: { width: 1920, height: 1080 }, rateControl: { frameRateLimit: 25 } } },
      { $: { token: 'sub' }, name: 'subStream' },
      { name: 'broken' },
    ];
    expect(toProfiles(raw)).toStrictEqual([
      { token: 'main', name: 'mainStream', encoding: 'H264', width: 1920, height: 1080, fps: 25 },
      { token: 'sub', name: 'subStream' },
    ]);
  });

  it('sorts client errors into what to do about them', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect([
      classifyOnvifError(new Error('ONVIF SOAP Fault: Sender not Authorized')),
      classifyOnvifError(new Error('Digest authentication failed 401')),
      classifyOnvifError(refused),
      classifyOnvifError(new Error('Network timeout')),
      classifyOnvifError(new Error('Wrong ONVIF SOAP response')),
      classifyOnvifError(CAMERA_ERRORS.error('GW_ERR_CAMERA_TIMEOUT')),
    ]).toStrictEqual(['GW_ERR_CAMERA_AUTH', 'GW_ERR_CAMERA_AUTH', 'GW_ERR_CAMERA_UNREACHABLE', 'GW_ERR_CAMERA_UNREACHABLE', 'GW_ERR_CAMERA_PROTOCOL', 'GW_ERR_CAMERA_TIMEOUT']);
  });
});

describe('event classification', () => {
  const n = (topic: string, data: Record<string, string>) => ({ topic, source: {}, data });
  it('maps tamper and video-loss topics of ONVIF and vendors', () => {
    expect([
      classifyNotification(n('tns1:RuleEngine/TamperDetector/Tamper', { IsTamper: 'true' })),
      classifyNotification(n('tns1:VideoSource/GlobalSceneChange/ImagingService', { State: 'false' })),
      classifyNotification(n('tns1:VideoSource/SignalLoss', { State: 'true' })),
      classifyNotification(n('tns1:MediaControl/VideoLoss', { state: '1' })),
      classifyNotification(n('tns1:VideoSource/MotionAlarm', { State: 'true' })),
      classifyNotification(n('tns1:VideoSource/SignalLoss', { State: 'maybe' })),
    ]).toStrictEqual([
      { kind: 'tamper', active: true },
      { kind: 'tamper', active: false },
      { kind: 'video-loss', active: true },
      { kind: 'video-loss', active: true },
      undefined,
      undefined,
    ]);
  });
});

describe('configuration', () => {
  it('fills defaults', () => {
    expect(cameraOnvifConfig()).toStrictEqual({
      endpoints: {},
      checkIntervalSeconds: 60, checkTimeoutMs: 20_000, requestTimeoutMs: 5000, streamTimeoutMs: 8000, concurrency: 4,
      probeSeconds: 1.5, clockDriftSeconds: 30, blackThreshold: 0.1, frozenMaxDelta: 6, frozenMinSpanMs: 1000,
      changedThreshold: 0.5, pictureSource: 'stream', rtspTransport: 'tcp', events: true,
      liveView: { maxStreams: 4, width: 640, height: 360, bitrateKbps: 1000, idleSeconds: 10 },
    });
  });

  it('names every bad path', () => {
    expect(() => cameraOnvifConfig({ concurrency: 0, pictureSource: 'file' as 'stream' })).toThrow(/\/concurrency.*\/pictureSource|\/pictureSource.*\/concurrency/);
  });

  it('reads device options with defaults and refuses bad ones with a coded error', () => {
    expect(parseDeviceOptions('cam-1', { host: '10.0.0.5' })).toStrictEqual({ host: '10.0.0.5', port: 80, username: '', password: '', path: '/onvif/device_service' });
    expect(() => parseDeviceOptions('cam-1', { port: 99999 })).toThrow(expect.objectContaining({ code: 'GW_ERR_CAMERA_OPTIONS' }));
  });

  it('takes host and port from a named endpoint (an NVR), and names an unknown one', () => {
    const endpoints = { nvr: { host: '10.0.0.9', port: 8000 } };
    expect(parseDeviceOptions('cam-1', { endpoint: 'nvr', path: '/cameras/cam-1/onvif/device_service' }, endpoints)).toStrictEqual({
      endpoint: 'nvr',
      host: '10.0.0.9',
      port: 8000,
      username: '',
      password: '',
      path: '/cameras/cam-1/onvif/device_service',
    });
    expect(() => parseDeviceOptions('cam-1', { endpoint: 'vms' }, endpoints)).toThrow(/options\.endpoint: unknown endpoint "vms"/);
  });
});

describe('URLs with credentials', () => {
  it('adds percent-encoded credentials and hides them in messages', () => {
    const url = withCredentials('rtsp://10.0.0.5:554/Streaming/Channels/101', 'admin', 'p@ss:w/rd');
    expect(url).toBe('rtsp://admin:p%40ss%3Aw%2Frd@10.0.0.5:554/Streaming/Channels/101');
    expect(redactUrl(`${url}: 401 Unauthorized`)).toBe('rtsp://***@10.0.0.5:554/Streaming/Channels/101: 401 Unauthorized');
    expect(withCredentials('http://cam/snap.jpg', '', '')).toBe('http://cam/snap.jpg');
  });
});
