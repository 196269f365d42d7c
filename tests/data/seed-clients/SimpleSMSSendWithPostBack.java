import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URL; 
import java.util.Properties;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Source;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.stream.StreamResult;
import javax.xml.transform.stream.StreamSource;

public final class SimpleSMSSendWithPostBack{     
	public static void main(String[] args) { 	

           try{		
            URL url = new URL("http://sms2.cdyne.com/sms.svc/SimpleSMSsendWithPostBack?"
                               + "PhoneNumber=15551234567"
                               + "&Message=JAVA+Test"
                               + "&StatusPostBackURL=http://www.yourpostbackurl.com"
                               + "&LicenseKey=YOUR LICENSE KEY");		
    try{			
    InputStream in = url.openStream(); 
    StreamSource source = new StreamSource(in); 			
    printResult(source);	
}catch(java.io.IOException e){			
    e.printStackTrace();		
}		
}catch (MalformedURLException e){		
    e.printStackTrace();	
            }     
    }     
    private static void printResult(Source source) {        
            try {            
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            StreamResult sr = new StreamResult(bos);
            Transformer trans = TransformerFactory.newInstance().newTransformer();
            Properties oprops = new Properties();
            oprops.put(OutputKeys.OMIT_XML_DECLARATION, "yes");
            trans.setOutputProperties(oprops);
            trans.transform(source, sr);            
            System.out.println("**** Response ******");            
            System.out.println(bos.toString());   

            bos.close();
            System.out.println();        
    } catch (Exception e) {            
            }      
    }
