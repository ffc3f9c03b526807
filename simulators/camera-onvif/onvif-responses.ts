/**
 * Response bodies of the simulated ONVIF device (Profile S subset): device management
 * (ONVIF Core 8), media (ONVIF Media Service 5) and real-time pull-point events (ONVIF Core 9.1).
 * Pure functions of a camera view, so the same templates serve one camera or a whole fleet.
 */
import { escapeXml, xsDateTime } from './soap.js';

export interface CameraView {
  name: string;
  manufacturer: string;
  model: string;
  firmware: string;
  serial: string;
  hardwareId: string;
  width: number;
  height: number;
  fps: number;
  /** The device's own clock (ms since epoch), skew included. */
  deviceNow: number;
  urls: { device: string; media: string; events: string; stream: string; snapshot: string };
}

export interface NotificationMessage {
  /** Concrete topic, e.g. `tns1:VideoSource/SignalLoss`. */
  topic: string;
  utcTime: number;
  /** ONVIF Core 9.4.1: property events say Initialized on subscription, Changed afterwards. */
  operation: 'Initialized' | 'Changed' | 'Deleted';
  source: [string, string][];
  data: [string, string][];
}

const PROFILE = 'Profile_1';
const VIDEO_SOURCE = 'VideoSource_1';

/** ONVIF Core 8.3.10 GetSystemDateAndTime: answered before authentication (access class PRE_AUTH). */
export function systemDateAndTime(deviceNow: number): string {
  const d = new Date(deviceNow);
  return (
    `<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>` +
    `<tt:DateTimeType>Manual</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>` +
    `<tt:TimeZone><tt:TZ>UTC0</tt:TZ></tt:TimeZone>` +
    `<tt:UTCDateTime><tt:Time><tt:Hour>${d.getUTCHours()}</tt:Hour><tt:Minute>${d.getUTCMinutes()}</tt:Minute>` +
    `<tt:Second>${d.getUTCSeconds()}</tt:Second></tt:Time><tt:Date><tt:Year>${d.getUTCFullYear()}</tt:Year>` +
    `<tt:Month>${d.getUTCMonth() + 1}</tt:Month><tt:Day>${d.getUTCDate()}</tt:Day></tt:Date></tt:UTCDateTime>` +
    `</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>`
  );
}

/** ONVIF Core 8.1.2.2 GetCapabilities (the pre-GetServices way clients find service addresses). */
export function capabilities(v: CameraView): string {
  return (
    `<tds:GetCapabilitiesResponse><tds:Capabilities>` +
    `<tt:Device><tt:XAddr>${escapeXml(v.urls.device)}</tt:XAddr></tt:Device>` +
    `<tt:Events><tt:XAddr>${escapeXml(v.urls.events)}</tt:XAddr><tt:WSSubscriptionPolicySupport>false</tt:WSSubscriptionPolicySupport>` +
    `<tt:WSPullPointSupport>true</tt:WSPullPointSupport><tt:WSPausableSubscriptionManagerInterfaceSupport>false</tt:WSPausableSubscriptionManagerInterfaceSupport></tt:Events>` +
    `<tt:Media><tt:XAddr>${escapeXml(v.urls.media)}</tt:XAddr><tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast>` +
    `<tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media>` +
    `</tds:Capabilities></tds:GetCapabilitiesResponse>`
  );
}

/** ONVIF Core 8.1.2.1 GetServices: one entry per service, with its real address. */
export function services(v: CameraView): string {
  const service = (ns: string, xaddr: string) =>
    `<tds:Service><tds:Namespace>${ns}</tds:Namespace><tds:XAddr>${escapeXml(xaddr)}</tds:XAddr>` +
    `<tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>`;
  return (
    `<tds:GetServicesResponse>` +
    service('http://www.onvif.org/ver10/device/wsdl', v.urls.device) +
    service('http://www.onvif.org/ver10/media/wsdl', v.urls.media) +
    service('http://www.onvif.org/ver10/events/wsdl', v.urls.events) +
    `</tds:GetServicesResponse>`
  );
}

export function deviceInformation(v: CameraView): string {
  return (
    `<tds:GetDeviceInformationResponse><tds:Manufacturer>${escapeXml(v.manufacturer)}</tds:Manufacturer>` +
    `<tds:Model>${escapeXml(v.model)}</tds:Model><tds:FirmwareVersion>${escapeXml(v.firmware)}</tds:FirmwareVersion>` +
    `<tds:SerialNumber>${escapeXml(v.serial)}</tds:SerialNumber><tds:HardwareId>${escapeXml(v.hardwareId)}</tds:HardwareId>` +
    `</tds:GetDeviceInformationResponse>`
  );
}

function profile(v: CameraView, element: string): string {
  return (
    `<${element} token="${PROFILE}" fixed="true"><tt:Name>mainStream</tt:Name>` +
    `<tt:VideoSourceConfiguration token="VideoSourceConfig_1"><tt:Name>VideoSourceConfig</tt:Name><tt:UseCount>1</tt:UseCount>` +
    `<tt:SourceToken>${VIDEO_SOURCE}</tt:SourceToken><tt:Bounds x="0" y="0" width="${v.width}" height="${v.height}"/></tt:VideoSourceConfiguration>` +
    `<tt:VideoEncoderConfiguration token="VideoEncoder_1"><tt:Name>VideoEncoder</tt:Name><tt:UseCount>1</tt:UseCount>` +
    `<tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>${v.width}</tt:Width><tt:Height>${v.height}</tt:Height></tt:Resolution>` +
    `<tt:Quality>5</tt:Quality><tt:RateControl><tt:FrameRateLimit>${v.fps}</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval>` +
    `<tt:BitrateLimit>512</tt:BitrateLimit></tt:RateControl><tt:H264><tt:GovLength>${v.fps}</tt:GovLength><tt:H264Profile>Baseline</tt:H264Profile></tt:H264>` +
    `<tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>0.0.0.0</tt:IPv4Address></tt:Address><tt:Port>0</tt:Port><tt:TTL>0</tt:TTL>` +
    `<tt:AutoStart>false</tt:AutoStart></tt:Multicast><tt:SessionTimeout>PT60S</tt:SessionTimeout></tt:VideoEncoderConfiguration>` +
    `</${element}>`
  );
}

/** ONVIF Media 5.2.1 GetProfiles: one H.264 main-stream profile. */
export function profiles(v: CameraView): string {
  return `<trt:GetProfilesResponse>${profile(v, 'trt:Profiles')}</trt:GetProfilesResponse>`;
}

export function profileResponse(v: CameraView): string {
  return `<trt:GetProfileResponse>${profile(v, 'trt:Profile')}</trt:GetProfileResponse>`;
}

export function videoSources(v: CameraView): string {
  return (
    `<trt:GetVideoSourcesResponse><trt:VideoSources token="${VIDEO_SOURCE}"><tt:Framerate>${v.fps}</tt:Framerate>` +
    `<tt:Resolution><tt:Width>${v.width}</tt:Width><tt:Height>${v.height}</tt:Height></tt:Resolution></trt:VideoSources>` +
    `</trt:GetVideoSourcesResponse>`
  );
}

function mediaUri(element: string, uri: string): string {
  return (
    `<${element}><trt:MediaUri><tt:Uri>${escapeXml(uri)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>` +
    `<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></${element}>`
  );
}

/** ONVIF Media 5.15.1 GetStreamUri: the RTSP URI of the profile (credentials are not part of it). */
export function streamUri(v: CameraView): string {
  return mediaUri('trt:GetStreamUriResponse', v.urls.stream);
}

/** ONVIF Media 5.15.2 GetSnapshotUri: an HTTP URI answering with a JPEG. */
export function snapshotUri(v: CameraView): string {
  return mediaUri('trt:GetSnapshotUriResponse', v.urls.snapshot);
}

/** ONVIF Core 9.1.1 CreatePullPointSubscription. */
export function pullPointCreated(address: string, now: number, terminationAt: number): string {
  return (
    `<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference><wsa:Address>${escapeXml(address)}</wsa:Address>` +
    `</tev:SubscriptionReference><wsnt:CurrentTime>${xsDateTime(now)}</wsnt:CurrentTime>` +
    `<wsnt:TerminationTime>${xsDateTime(terminationAt)}</wsnt:TerminationTime></tev:CreatePullPointSubscriptionResponse>`
  );
}

function notification(m: NotificationMessage): string {
  const items = (list: [string, string][]) =>
    list.map(([n, val]) => `<tt:SimpleItem Name="${escapeXml(n)}" Value="${escapeXml(val)}"/>`).join('');
  return (
    `<wsnt:NotificationMessage><wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">${escapeXml(m.topic)}</wsnt:Topic>` +
    `<wsnt:Message><tt:Message UtcTime="${xsDateTime(m.utcTime)}" PropertyOperation="${m.operation}">` +
    `<tt:Source>${items(m.source)}</tt:Source><tt:Data>${items(m.data)}</tt:Data></tt:Message></wsnt:Message></wsnt:NotificationMessage>`
  );
}

/** ONVIF Core 9.1.2 PullMessages. */
export function pulledMessages(now: number, terminationAt: number, messages: NotificationMessage[]): string {
  return (
    `<tev:PullMessagesResponse><tev:CurrentTime>${xsDateTime(now)}</tev:CurrentTime>` +
    `<tev:TerminationTime>${xsDateTime(terminationAt)}</tev:TerminationTime>${messages.map(notification).join('')}</tev:PullMessagesResponse>`
  );
}

/** WS-BaseNotification Renew, which ONVIF Core 9.1 uses to extend a pull point. */
export function renewed(now: number, terminationAt: number): string {
  return (
    `<wsnt:RenewResponse><wsnt:TerminationTime>${xsDateTime(terminationAt)}</wsnt:TerminationTime>` +
    `<wsnt:CurrentTime>${xsDateTime(now)}</wsnt:CurrentTime></wsnt:RenewResponse>`
  );
}

export function unsubscribed(): string {
  return `<wsnt:UnsubscribeResponse/>`;
}

/** ONVIF Core 9.5.6 GetEventProperties: the topics this camera can raise. */
export function eventProperties(): string {
  const property = (data: string) =>
    `<tt:MessageDescription IsProperty="true"><tt:Source><tt:SimpleItemDescription Name="VideoSourceToken" Type="tt:ReferenceToken"/></tt:Source>` +
    `<tt:Data><tt:SimpleItemDescription Name="${data}" Type="xs:boolean"/></tt:Data></tt:MessageDescription>`;
  return (
    `<tev:GetEventPropertiesResponse><tev:TopicNamespaceLocation>http://www.onvif.org/onvif/ver10/topics/topicns.xml</tev:TopicNamespaceLocation>` +
    `<wsnt:FixedTopicSet>true</wsnt:FixedTopicSet><wstop:TopicSet xmlns:wstop="http://docs.oasis-open.org/wsn/t-1">` +
    `<tns1:VideoSource><SignalLoss wstop:topic="true">${property('State')}</SignalLoss></tns1:VideoSource>` +
    `<tns1:RuleEngine><TamperDetector><Tamper wstop:topic="true">${property('IsTamper')}</Tamper></TamperDetector></tns1:RuleEngine>` +
    `</wstop:TopicSet><wsnt:TopicExpressionDialect>http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet</wsnt:TopicExpressionDialect>` +
    `<tev:MessageContentFilterDialect>http://www.onvif.org/ver10/tev/messageContentFilter/ItemFilter</tev:MessageContentFilterDialect>` +
    `</tev:GetEventPropertiesResponse>`
  );
}

export const SIM_TOKENS = { profile: PROFILE, videoSource: VIDEO_SOURCE } as const;
